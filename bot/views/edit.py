"""The edit modal: horizon, channel, member order, destinations of each role."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import CallbackId, FormBlock
from bot.rota.model import SECONDARY
from bot.services.errors import Field
from bot.services.link import Target
from bot.services.manage import EditData
from bot.services.schedules import ProviderSchedules
from bot.views.common import OPTIONS_MAX, Block, clip, context, modal, option, plain
from bot.views.link import DESTINATIONS_HINT, channel_input, destination_select, horizon_input

SECONDARY_HINT = ("Provider schedules that page the secondary person, never one of the primary destinations: a "
                  "provider schedule pages everyone in it.")


FIELD_BLOCKS = {Field.HORIZON: FormBlock.EDIT_HORIZON, Field.CHANNEL: FormBlock.EDIT_CHANNEL,
                Field.MEMBERS: FormBlock.EDIT_MEMBERS, Field.DESTINATIONS: FormBlock.EDIT_DESTINATIONS,
                Field.SECONDARY: FormBlock.EDIT_SECONDARY}


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
    if data.unmapped:
        blocks.append(context("Not in Slack (kept at the end of the order): " + ", ".join(data.unmapped)))
    primary_label = "Primary destinations" if data.shows_secondary else "Destinations"
    blocks.append(_destinations_field(FormBlock.EDIT_DESTINATIONS, groups, data.destinations, primary_label,
                                      optional=False))
    if data.shows_secondary:
        blocks.append(_destinations_field(FormBlock.EDIT_SECONDARY, groups, data.secondary, "Secondary destinations",
                                          optional=True, hint=SECONDARY_HINT))
        if SECONDARY not in data.roles:
            blocks.append(context(f"The secondary role is off (`/oncall pattern {data.name} roles primary`): these "
                                  "destinations keep what was exported and get nothing new. Remove them here."))
    return modal(CallbackId.EDIT, f"Edit {data.name}"[:24], blocks, submit="Save", close="Cancel",
                 private_metadata=private_metadata)
