"""Every Slack callback_id, action_id and block_id the bot uses, in one place, grouped by the
surface that shows them. Only the Slack edge (`bot.commands`, `bot.views`, `bot.notify`) reads
them; services name form fields by what they hold (`bot.services.errors.Field`)."""

from enum import StrEnum

# ---- modals (callback_ids) and the connect form


class CallbackId(StrEnum):
    CONNECT = "connect_modal"
    LINK = "link_modal"
    EDIT = "edit_modal"
    UNLINK = "unlink_modal"
    SWAP = "swap_modal"


class BlockId(StrEnum):
    CONNECT_PROVIDER = "connect_provider"
    CONNECT_NAME = "connect_name"
    CONNECT_API_KEY = "connect_api_key"
    CONNECT_REGION = "connect_region"


class ActionId(StrEnum):
    CONNECT_PROVIDER = "provider"
    CONNECT_NAME = "name"
    CONNECT_API_KEY = "api_key"
    CONNECT_REGION = "region"

# ---- informational modals, App Home, the link and edit forms, and their buttons


class ViewId(StrEnum):
    """callback_ids of the informational modals and the App Home view."""

    STATUS = "status_view"
    NOTICE = "notice_view"
    LOADING = "loading_view"
    HOME = "home_view"


class FormBlock(StrEnum):
    """block_ids of the link and edit modals; the input inside each has action_id `FormBlock.INPUT`."""

    LINK_CONNECTION = "link_connection"
    LINK_SCHEDULE = "link_schedule"
    LINK_HORIZON = "link_horizon"
    LINK_CHANNEL = "link_channel"
    LINK_DESTINATIONS = "link_destinations"
    EDIT_HORIZON = "edit_horizon"
    EDIT_CHANNEL = "edit_channel"
    EDIT_MEMBERS = "edit_members"
    EDIT_DESTINATIONS = "edit_destinations"
    EDIT_SECONDARY = "edit_secondary_destinations"
    EDIT_MANAGERS = "edit_managers"
    EDIT_HANDOVER = "edit_handover"  # issue 14: handover messages on/off (checkbox)
    EDIT_USERGROUP = "edit_usergroup"  # issue 14: the on-call user group's handle
    EDIT_MAP_SLACK = "edit_map_slack"  # issue 13: "<prefix>.<member id>": a Slack account for a member not in Slack
    EDIT_MAP_USER = "edit_map_user"  # issue 13: "<prefix>.<member id>.<connection id>": a provider user by hand
    INPUT = "input"


class ButtonId(StrEnum):
    """action_ids of buttons and selects that trigger a listener; the value carries the object id."""

    LINK = "link_button"  # value "<connection_id>:<provider schedule id>"
    REMOVE_CONNECTION = "remove_connection"  # value "<connection_id>"
    LINK_PICK_CONNECTION = "link_pick_connection"  # select in the link modal (dispatch_action)
    HOME_CONNECT = "home_connect"
    HOME_LINK = "home_link"
    STATUS = "status_button"  # value "<schedule_id>"
    EDIT = "edit_button"  # value "<schedule_id>"


# ---- drift alerts (channel messages)


class SyncButtonId(StrEnum):
    """action_ids of the drift alert buttons; the value carries the DriftAlert id."""

    DRIFT_REAPPLY = "drift_reapply"
    DRIFT_KEEP = "drift_keep"


class SyncBlockId(StrEnum):
    DRIFT_ACTIONS = "drift_actions"


# ---- swaps: previews, consent DMs, channel messages and the ambiguity modals


class SwapButtonId(StrEnum):
    """action_ids of the swap buttons. CONFIRM/FORCE carry a proposal token; the others a request id."""

    CONFIRM = "swap_confirm"
    FORCE = "swap_force"  # a manager confirms over time off
    CANCEL = "swap_cancel"  # drop a preview: nothing was saved
    ACCEPT = "swap_accept"
    DECLINE = "swap_decline"
    WITHDRAW = "swap_withdraw"  # the requester takes a pending request back
    UNDO = "swap_undo"


class SwapCallbackId(StrEnum):
    """The ambiguity modals: pick the schedule, then the shifts (CallbackId.SWAP)."""

    PICK_SCHEDULE = "swap_pick_schedule"
    PICK_SHIFTS = "swap_modal"


class SwapBlockId(StrEnum):
    """block_ids of the swap modals and messages; the input inside each has action_id `SwapBlockId.INPUT`."""

    SCHEDULE = "swap_schedule"
    SHIFTS_A = "swap_shifts_a"
    SHIFTS_B = "swap_shifts_b"
    ACTIONS = "swap_actions"
    INPUT = "input"


# ---- rota: fairness report, time off, calendar feeds, pattern


class RotaBlockId(StrEnum):
    FAIRNESS_TABLE = "fairness_table"  # + "_<report>_<n>" per schedule and chunk of rows


# ---- issue 14 (notifications): reminders and handover messages


class RemindId(StrEnum):
    """Reminder DM buttons (value: the shift id), their person picker modal, and the App Home control."""

    SWAP = "remind_swap"
    COVER = "remind_cover"
    ACTIONS = "remind_actions"
    PICK = "remind_pick"  # callback_id of the modal asking who swaps or covers
    PERSON = "remind_person"  # block_id of its person field (action_id `RemindId.INPUT`)
    HOME = "remind_home"  # the App Home select (action_id)
    INPUT = "input"
# ---- issue 14 (history): paging buttons


class HistoryButtonId(StrEnum):
    """action_ids of the history paging buttons; the value is "<schedule id or 0>.<days>.<page>"."""

    NEWER = "history_newer"
    OLDER = "history_older"
