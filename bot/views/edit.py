"""The edit modal: horizon, channel, member order, managers, destinations of each role."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import CallbackId, FormBlock
from bot.providers import spec_for, specs
from bot.rota.model import SECONDARY
from bot.services.edit import EditData
from bot.services.errors import Field, FieldError
from bot.services.link import Target
from bot.services.mapping import PICKS_MAX
from bot.services.schedules import ProviderSchedules
from bot.views.common import OPTIONS_MAX, Block, clip, context, modal, option, plain
from bot.views.group import group_status_text
from bot.views.link import DESTINATIONS_HINT, channel_input, destination_select, horizon_input

MANAGERS_HINT = ("Managers may edit this schedule and its pattern, move anyone's shifts, decide about drift and "
                 "export now. Workspace admins always may.")
ADMIN_DESTINATIONS = "workspace admins change destinations"
SECONDARY_HINT = ("Provider schedules that page the secondary person, never one of the primary destinations: a "
                  "provider schedule pages everyone in it.")


FIELD_BLOCKS = {Field.HORIZON: FormBlock.EDIT_HORIZON, Field.CHANNEL: FormBlock.EDIT_CHANNEL,
                Field.MEMBERS: FormBlock.EDIT_MEMBERS, Field.DESTINATIONS: FormBlock.EDIT_DESTINATIONS,
                Field.SECONDARY: FormBlock.EDIT_SECONDARY, Field.MANAGERS: FormBlock.EDIT_MANAGERS,
                Field.USERGROUP: FormBlock.EDIT_USERGROUP}


def slack_block(member_id: int) -> str:
    """The picker of a Slack account for a member not in Slack."""
    return f"{FormBlock.EDIT_MAP_SLACK}.{member_id}"


def user_block(member_id: int, connection_id: int) -> str:
    """The picker of a provider user, by hand, for a member at a destination's account."""
    return f"{FormBlock.EDIT_MAP_USER}.{member_id}.{connection_id}"


def block_of(error: FieldError) -> str:
    """The block that shows `error` in the edit modal."""
    if error.field == Field.MAP_SLACK:
        return slack_block(*error.key)
    if error.field == Field.MAP_USER:
        return user_block(*error.key)
    return FIELD_BLOCKS[error.field]


def _destinations_field(block_id: str, groups: Sequence[ProviderSchedules], current: Sequence[Target], label: str,
                        *, optional: bool, hint: str | None = None) -> Block:
    """A destination multi-select preset to `current`; every current destination stays selectable even
    if its account could not be listed. Without any writable account: a line naming the current ones."""
    known = {f"{g.connection.id}:{s.id}" for g in groups for s in g.schedules if g.connection.can_write is not False}
    read_only = {g.connection.id for g in groups if g.connection.can_write is False}
    dest = destination_select(block_id, groups, [t.value for t in current], label=label,
                              hint=hint or DESTINATIONS_HINT)
    if dest is None:
        names = ", ".join(t.name or t.schedule_id for t in current) or "none"
        return context(f"{label}: {names} (no writable account could be listed to change them).")
    dest["optional"] = optional
    _suggest_first(dest["element"], *same_name_successors(groups, current))
    missing = [t for t in current if t.value not in known]
    if missing:
        why = {True: "read-only key", False: "account unavailable"}
        extra = [option(f"{clip(t.name or t.schedule_id, 50)} ({why[t.connection_id in read_only]})", t.value)
                 for t in missing][:OPTIONS_MAX]
        element = dest["element"]
        element["option_groups"] = [*element["option_groups"][:OPTIONS_MAX - 1],
                                    {"label": plain("Current"), "options": extra}]
        offered = [o for g in element["option_groups"] for o in g["options"]]
        element["initial_options"] = [o for o in [*element.get("initial_options", []), *extra] if o in offered]
    return dest


def same_name_successors(groups: Sequence[ProviderSchedules], current: Sequence[Target]) -> tuple[str, list[str]]:
    """Moving to a successor provider (Opsgenie to JSM: `HttpProvider.succeeds`): the group label and the
    values of the successor's schedules named like a current destination at the provider it succeeds
    (case-insensitively), suggested first."""
    kinds = {g.connection.id: g.connection.provider for g in groups}
    values: list[str] = []
    label = ""
    for spec in specs():
        if spec.succeeds is None:
            continue
        names = {(t.name or "").casefold() for t in current if kinds.get(t.connection_id) == spec.succeeds} - {""}
        found = [f"{g.connection.id}:{s.id}" for g in groups if g.connection.provider == spec.kind
                 for s in g.schedules if s.name.casefold() in names]
        if found:
            label = label or f"Same name as the {spec_for(spec.succeeds).label} destination"
            values.extend(found)
    return label, values


def _suggest_first(element: dict, label: str, values: Sequence[str]) -> None:
    """Move the options of `values` into a first group marked as the same name (options keep their text,
    which is the name saved)."""
    if not values:
        return
    moved, groups = [], []
    for group in element["option_groups"]:
        keep = [o for o in group["options"] if o["value"] not in values]
        moved.extend(o for o in group["options"] if o["value"] in values)
        if keep:
            groups.append({**group, "options": keep})
    if moved:
        element["option_groups"] = [{"label": plain(label, 75), "options": moved[:OPTIONS_MAX]},
                                    *groups][:OPTIONS_MAX]


HANDOVER_ON = "on"


def handover_input(on: bool) -> Block:
    """A message in the channel at each handoff (who is on call now, until when, who is next)."""
    choice = {"text": plain("Post a handover message in the channel at each handoff"), "value": HANDOVER_ON}
    element: dict = {"type": "checkboxes", "action_id": FormBlock.INPUT, "options": [choice]}
    if on:
        element["initial_options"] = [choice]
    return {"type": "input", "block_id": FormBlock.EDIT_HANDOVER, "optional": True, "label": plain("Handover"),
            "hint": plain("Who is on call now, until when, and who is next. Needs a channel.", 150),
            "element": element}


def usergroup_field(data: EditData) -> list[Block]:
    """The on-call user group's handle (optional), with its current state underneath."""
    element: dict = {"type": "plain_text_input", "action_id": FormBlock.INPUT, "max_length": 22,
                     "placeholder": plain("platform-oncall")}
    if data.usergroup_handle:
        element["initial_value"] = data.usergroup_handle
    blocks: list[Block] = [{
        "type": "input", "block_id": FormBlock.EDIT_USERGROUP, "optional": True,
        "label": plain("On-call user group"),
        "hint": plain("A Slack handle such as platform-oncall: the bot keeps that group's members to whoever is on "
                      "call now (an existing group is taken over, a missing one created). Empty: no group.", 2000),
        "element": element,
    }]
    if data.usergroup_status:
        blocks.append(context(clip(group_status_text(data.usergroup_status), 2000)))
    return blocks


MAPPING_HINT = "Never matched by name: pick who this is, or leave it empty."


def mapping_fields(data: EditData) -> list[Block]:
    """Issue 13: a Slack account for each member not in Slack, a provider user (among the connection's users
    without a visible email) for each member a destination has none for; at most `PICKS_MAX` at a time."""
    blocks: list[Block] = []
    for who in data.not_in_slack:
        blocks.append({"type": "input", "block_id": slack_block(who.member_id), "optional": True,
                       "label": plain(f"Slack account of {who.name}", 2000),
                       "hint": plain(f"Not in Slack ({who.reason}): kept at the end of the order. {MAPPING_HINT}",
                                     2000),
                       "element": {"type": "users_select", "action_id": FormBlock.INPUT,
                                   "placeholder": plain("Pick a person")}})
    for gap in data.missing_users:
        shown = gap.candidates[:OPTIONS_MAX]
        more = (f" Showing {OPTIONS_MAX} of {len(gap.candidates)}: Slack lists at most {OPTIONS_MAX}."
                if len(gap.candidates) > OPTIONS_MAX else "")
        blocks.append({"type": "input", "block_id": user_block(gap.member_id, gap.connection_id), "optional": True,
                       "label": plain(f"{gap.name} in {gap.connection_label}", 2000),
                       "hint": plain(f"No user there has {gap.name}'s email (it may be hidden): the users listed "
                                     f"show none. {MAPPING_HINT}{more}", 2000),
                       "element": {"type": "static_select", "action_id": FormBlock.INPUT,
                                   "placeholder": plain("Pick their account"),
                                   "options": [option(f"{c.name} ({c.user_id[-6:]})", c.user_id) for c in shown]}})
    if len(blocks) > PICKS_MAX:
        blocks = [*blocks[:PICKS_MAX], context(f"{len(blocks) - PICKS_MAX} more people to map: save, then edit again.")]
    return blocks


def managers_input(managers: Sequence[str]) -> Block:
    """Optional: a schedule may have no managers (then its admins decide). Slack documents no maximum
    for `initial_users` (only `max_selected_items` ≥ 1), so every current manager is preset."""
    element: Block = {"type": "multi_users_select", "action_id": FormBlock.INPUT, "placeholder": plain("People")}
    if managers:
        element["initial_users"] = list(managers)
    return {"type": "input", "block_id": FormBlock.EDIT_MANAGERS, "optional": True, "label": plain("Managers"),
            "hint": plain(MANAGERS_HINT, 150), "element": element}


def _read_only_destinations(label: str, current: Sequence[Target]) -> Block:
    names = ", ".join(t.name or t.schedule_id for t in current) or "none"
    return context(clip(f"{label}: {names} ({ADMIN_DESTINATIONS}).", 3000))


def edit_modal(data: EditData, groups: Sequence[ProviderSchedules], private_metadata: str = "") -> dict:
    blocks: list[Block] = [
        horizon_input(FormBlock.EDIT_HORIZON, data.horizon_days),
        channel_input(FormBlock.EDIT_CHANNEL, data.channel_id),
        {"type": "input", "block_id": FormBlock.EDIT_MEMBERS, "label": plain("Members, in rotation order"),
         "hint": plain("Order is rotation order: to move someone, remove and add them again. New people need a "
                       "provider user with the same email.", 150),
         "element": {"type": "multi_users_select", "action_id": FormBlock.INPUT,
                     "initial_users": list(data.member_slack_ids), "placeholder": plain("People")}},
    ]
    if data.unmapped and not data.not_in_slack:
        blocks.append(context("Not in Slack (kept at the end of the order): " + ", ".join(data.unmapped)))
    blocks.append(managers_input(data.managers))
    blocks.extend(mapping_fields(data))
    primary_label = "Primary destinations" if data.shows_secondary else "Destinations"
    if not data.may_change_destinations:
        blocks.append(_read_only_destinations(primary_label, data.destinations))
        if data.shows_secondary:
            blocks.append(_read_only_destinations("Secondary destinations", data.secondary))
    else:
        blocks.append(_destinations_field(FormBlock.EDIT_DESTINATIONS, groups, data.destinations, primary_label,
                                          optional=False))
    if data.shows_secondary and data.may_change_destinations:
        blocks.append(_destinations_field(FormBlock.EDIT_SECONDARY, groups, data.secondary, "Secondary destinations",
                                          optional=True, hint=SECONDARY_HINT))
        if SECONDARY not in data.roles:
            blocks.append(context(f"The secondary role is off (`/oncall pattern {data.name} roles primary`): these "
                                  "destinations keep what was exported and get nothing new. Remove them here."))
    blocks.append(handover_input(data.handover_messages))
    blocks.extend(usergroup_field(data))
    return modal(CallbackId.EDIT, f"Edit {data.name}"[:24], blocks, submit="Save", close="Cancel",
                 private_metadata=private_metadata)
