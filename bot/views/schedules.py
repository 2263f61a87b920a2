"""`/oncall schedules`: a connection's provider schedules, each with a *Link* button."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import ButtonId
from bot.providers import RemoteSchedule
from bot.services.schedules import ProviderSchedules
from bot.views.common import Block, button, context, header, message, section

PER_CONNECTION_MAX = 20


def schedule_rows(connection_id: int, schedules: Sequence[RemoteSchedule], linked: dict[str, str] | None,
                  connection_name: str, limit: int = PER_CONNECTION_MAX, link_buttons: bool = True) -> list[Block]:
    """One section per schedule: name, members, rotation, and Link (or where it is linked);
    without `link_buttons` the rows carry no button (a modal offers one Link button of its own)."""
    linked = linked or {}
    blocks: list[Block] = []
    for sched in list(schedules)[:limit]:
        text = (f"*{sched.name}* · {len(sched.members)} members · {sched.time_zone}\n"
                f"{sched.rotation_summary()}")
        if sched.id in linked:
            blocks.append(section(text + f"\n:link: linked as *{linked[sched.id]}*"))
        else:
            link = button("Link", ButtonId.LINK, f"{connection_id}:{sched.id}") if link_buttons else None
            blocks.append(section(text, link))
    if len(schedules) > limit:
        blocks.append(context(f"…and {len(schedules) - limit} more: `/oncall link {connection_name}` lists them all."))
    if not schedules:
        blocks.append(context("This account has no schedules the key can see."))
    return blocks


def schedules_message(groups: Sequence[ProviderSchedules]) -> dict:
    blocks: list[Block] = []
    for group in groups:
        blocks.append(header(group.connection.label))
        if group.error:
            blocks.append(section(f":warning: Could not list schedules: {group.error}"))
            continue
        if group.connection.can_write is False:
            blocks.append(context(":lock: Read-only key: schedules can be linked and imported, not exported to."))
        blocks.extend(schedule_rows(group.connection.id, group.schedules, group.linked, group.connection.name))
    count = sum(len(g.schedules) for g in groups)
    return message(f"{count} provider schedules", blocks)
