"""The link modal (pick connection + provider schedule, horizon, channel, destinations) and its result."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import ButtonId, CallbackId, FormBlock
from bot.services.errors import Field
from bot.services.link import LinkResult
from bot.services.schedules import ConnectionRef, ProviderSchedules
from bot.views.common import (
    OPTIONS_MAX,
    Block,
    cap_options,
    clip,
    context,
    message,
    modal,
    option,
    plain,
    section,
)

DESTINATIONS_HINT = "Schedules the bot writes overrides to (one per role). Read-only accounts are not listed."


FIELD_BLOCKS = {Field.SCHEDULE: FormBlock.LINK_SCHEDULE, Field.HORIZON: FormBlock.LINK_HORIZON,
                Field.CHANNEL: FormBlock.LINK_CHANNEL, Field.DESTINATIONS: FormBlock.LINK_DESTINATIONS}


def connection_select(connections: Sequence[ConnectionRef], chosen: int | None) -> Block:
    """The account picker: a section with a select beside it, not an input, so the modal needs no
    submit button until the account's schedules are there to submit (Slack refuses a modal with an
    input block and no submit). Picking an account reloads the modal; the account the form was
    filled for travels in `private_metadata` (`k`)."""
    opts = [option(c.label, str(c.id)) for c in connections][:OPTIONS_MAX]
    element: dict = {"type": "static_select", "action_id": ButtonId.LINK_PICK_CONNECTION, "options": opts,
                     "placeholder": plain("Pick an account")}
    initial = next((o for o, c in zip(opts, connections, strict=False) if c.id == chosen), None)
    if initial:
        element["initial_option"] = initial
    return section("*Provider account*", element, block_id=FormBlock.LINK_CONNECTION)


def destination_select(block_id: str, groups: Sequence[ProviderSchedules], selected: Sequence[str] = (),
                       exclude: str | None = None, label: str = "Also export to",
                       hint: str = DESTINATIONS_HINT) -> Block | None:
    """Writable provider schedules grouped by connection; values are `<connection_id>:<schedule id>`.
    Slack lists 100 options per group: the selected ones always among them, the hint says what is not."""
    option_groups, initial, hidden, read_only = [], [], [], []
    for group in groups:
        if group.connection.can_write is False:
            read_only.append(group.connection.name)
            continue
        if group.error:
            continue
        every = [option(s.name, f"{group.connection.id}:{s.id}") for s in group.schedules
                 if f"{group.connection.id}:{s.id}" != exclude]
        opts = cap_options(every, selected)
        if len(every) > len(opts):
            hidden.append(f"{len(opts)} of {len(every)} in {group.connection.name}")
        if opts:
            unknown = " (write access unknown)" if group.connection.can_write is None else ""
            option_groups.append({"label": plain(group.connection.label + unknown, 75), "options": opts})
            initial.extend(o for o in opts if o["value"] in selected)
    if not option_groups:
        return None
    element: dict = {"type": "multi_static_select", "action_id": FormBlock.INPUT,
                     "option_groups": option_groups[:OPTIONS_MAX], "placeholder": plain("Other provider schedules")}
    if initial:
        element["initial_options"] = [o for o in initial if any(o in g["options"] for g in element["option_groups"])]
    if read_only and hint.endswith("are not listed."):
        hint = hint.removesuffix(".") + f": {', '.join(read_only)}."
    if hidden:
        hint += f" Slack lists at most {OPTIONS_MAX} per account: showing " + ", ".join(hidden) + "."
    return {"type": "input", "block_id": block_id, "optional": True, "label": plain(label), "element": element,
            "hint": plain(hint, 2000)}


def horizon_input(block_id: str, days: int) -> Block:
    return {"type": "input", "block_id": block_id, "label": plain("Horizon (days)"),
            "hint": plain("How far ahead the bot assigns and exports shifts.", 150),
            "element": {"type": "number_input", "action_id": FormBlock.INPUT, "is_decimal_allowed": False,
                        "initial_value": str(days), "min_value": "1", "max_value": "365"}}


def channel_input(block_id: str, channel_id: str | None) -> Block:
    element: dict = {"type": "conversations_select", "action_id": FormBlock.INPUT,
                     "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                     "placeholder": plain("Pick a channel")}
    if channel_id and channel_id[0] in "CG":
        element["initial_conversation"] = channel_id
    return {"type": "input", "block_id": block_id, "optional": True, "label": plain("Channel for notifications"),
            "hint": plain("Drift alerts and swap requests go here. Invite the bot to it first.", 150),
            "element": element}


def link_modal(connections: Sequence[ConnectionRef], chosen: ProviderSchedules | None, *,
               all_groups: Sequence[ProviderSchedules] = (), selected_schedule: str | None = None,
               channel_id: str | None = None, horizon_days: int = 30, loading: bool = False,
               connection_id: int | None = None, private_metadata: str = "") -> dict:
    """`chosen`: the picked connection's schedules (None until one is picked or while loading, when
    `connection_id` preselects the account)."""
    picked = chosen.connection.id if chosen else connection_id
    blocks: list[Block] = [connection_select(connections, picked)]
    submit = None
    if loading:
        blocks.append(section(":hourglass: Loading the account's schedules…"))
    elif chosen is None:
        blocks.append(context("Pick an account to see its schedules."))
    elif chosen.error:
        blocks.append(section(f":warning: Could not list schedules: {chosen.error}"))
    else:
        linked = chosen.linked or {}
        free = [s for s in chosen.schedules if s.id not in linked]
        if not free:
            blocks.append(section("Every schedule of this account is linked already." if chosen.schedules
                                  else "This account has no schedules the key can see."))
        else:
            opts = cap_options([option(f"{s.name} ({len(s.members)} members)", s.id) for s in free],
                               [selected_schedule] if selected_schedule else ())
            element: dict = {"type": "static_select", "action_id": FormBlock.INPUT, "options": opts,
                             "placeholder": plain("Pick a schedule")}
            initial = next((o for o in opts if o["value"] == selected_schedule), None)
            if initial:
                element["initial_option"] = initial
            pick: Block = {"type": "input", "block_id": FormBlock.LINK_SCHEDULE, "label": plain("Provider schedule"),
                           "element": element}
            if len(free) > len(opts):
                pick["hint"] = plain(f"Showing {len(opts)} of {len(free)} unlinked schedules: Slack lists at most "
                                     f"{OPTIONS_MAX}.", 300)
            blocks.append(pick)
            blocks.append(horizon_input(FormBlock.LINK_HORIZON, horizon_days))
            blocks.append(channel_input(FormBlock.LINK_CHANNEL, channel_id))
            dest = destination_select(FormBlock.LINK_DESTINATIONS, all_groups)
            if dest:
                blocks.append(dest)
            if chosen.connection.can_write is False:
                blocks.append(context(":lock: This account's key is read-only: the schedule is imported, but the "
                                      "bot cannot export to it. Pick a writable destination above to export."))
            else:
                blocks.append(context("The linked schedule itself is always a destination."))
            submit = "Link"
    return modal(CallbackId.LINK, "Link a schedule", blocks, submit=submit, close="Cancel",
                 private_metadata=private_metadata)


def linked_message(result: LinkResult) -> dict:
    blocks: list[Block] = [section(f":link: Linked *{result.name}*: {len(result.mapped)} members mapped to Slack.")]
    if result.mapped:
        blocks.append(context(clip("Members: " + ", ".join(f"<@{uid}>" for _, uid in result.mapped), 3000)))
    if result.unmapped:
        lines = "\n".join(f"• {u.name} ({u.email or 'no email'}): {u.reason}" for u in result.unmapped)
        blocks.append(section(
            f":warning: *{len(result.unmapped)} members could not be matched to a Slack user:*\n{lines}\n"
            f"Fix: make their email the same in Slack and the provider, then `/oncall edit {result.name}` and add "
            "them under Members. Until then they stay in the rotation order but get no Slack messages."
        ))
    blocks.append(context("Destinations: " + ("; ".join(result.destinations) or "none")))
    if result.read_only:
        blocks.append(context(":lock: A destination's key is read-only: the bot cannot export there."))
    history = f"Imported {result.history_shifts} past shifts as history."
    if result.history_error:
        history = f"Past shifts not imported: {result.history_error}"
    shifts = ("No shifts assigned yet: the next sync assigns them." if result.assigned is None
              else f"Assigned {result.assigned} shifts.")
    blocks.append(context(f"{history} {shifts} See `/oncall status {result.name}`."))
    return message(f"Linked {result.name}", blocks)
