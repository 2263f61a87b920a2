"""The edit modal: horizon, channel, member order, destinations."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import CallbackId, FormBlock
from bot.services.manage import EditData
from bot.services.schedules import ProviderSchedules
from bot.views.common import Block, context, modal, plain
from bot.views.link import channel_input, destination_select, horizon_input


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
    # every current destination must be selectable even if its account could not be listed
    known = {f"{g.connection.id}:{s.id}" for g in groups for s in g.schedules}
    selected = [t.value for t in data.destinations]
    dest = destination_select(FormBlock.EDIT_DESTINATIONS, groups, selected, label="Destinations")
    if dest is not None:
        dest["optional"] = False
        missing = [t for t in data.destinations if t.value not in known]
        if missing:
            extra = [{"text": plain(f"{t.name or t.schedule_id} (account unavailable)"), "value": t.value} for t in missing]
            dest["element"]["option_groups"].append({"label": plain("Current"), "options": extra})
            dest["element"].setdefault("initial_options", []).extend(extra)
        blocks.append(dest)
    else:
        names = ", ".join(t.name or t.schedule_id for t in data.destinations) or "none"
        blocks.append(context(f"Destinations: {names} (no writable account could be listed to change them)."))
    return modal(CallbackId.EDIT, f"Edit {data.name}"[:24], blocks, submit="Save", close="Cancel",
                 private_metadata=private_metadata)
