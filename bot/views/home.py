"""App Home: my next shifts, every schedule with its destinations, and buttons."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ids import ButtonId, ViewId
from bot.providers import any_of
from bot.services.status import ScheduleStatus, ShiftLine
from bot.services.timeoff import Entry
from bot.views.common import Block, actions, button, context, divider, header, joined, section, when
from bot.views.remind import home_block
from bot.views.status import destination_text

SCHEDULES_MAX = 20


@dataclass(frozen=True)
class HomeModel:
    user_id: str
    is_admin: bool
    my_shifts: tuple[ShiftLine, ...]
    schedules: tuple[ScheduleStatus, ...]
    connections: int
    my_time_off: tuple[Entry, ...] = ()
    reminders: tuple[str, ...] | None = None  # my reminder offsets (issue 14); None: not shown


def home_view(model: HomeModel) -> dict:
    blocks: list[Block] = [header("On-call")]
    buttons = [button("Connect account", ButtonId.HOME_CONNECT)] if model.is_admin else []
    if model.is_admin and model.connections:
        buttons.append(button("Link schedule", ButtonId.HOME_LINK, style="primary"))
    if buttons:
        blocks.append(actions(*buttons))
    blocks.append(section("*Your next shifts*"))
    if model.my_shifts:
        lines = [f"• *{s.schedule_name}*{' (' + s.role + ')' if s.role != 'primary' else ''}: "
                 f"{when(s.start)} → {when(s.end)}" for s in model.my_shifts]
        blocks.append(section(joined(lines)))
    else:
        blocks.append(context("No shifts assigned to you yet."))
    if model.my_time_off:
        lines = [f"• #{t.id} {when(t.start)} → {when(t.end)}"
                 f"{' · from your calendar' if t.source == 'calendar' else ''}{' · ' + t.reason if t.reason else ''}"
                 for t in model.my_time_off]
        blocks.append(section("*Your time off*\n" + joined(lines)))
    if model.reminders is not None:
        blocks.append(home_block(model.reminders))
    blocks.append(divider())
    blocks.append(section(f"*Schedules ({len(model.schedules)})*"))
    if not model.schedules:
        hint = ("Link one with the button above or `/oncall link`." if model.connections
                else f"An admin connects a {any_of()} account first (`/oncall connect`).")
        blocks.append(context(f"No schedule is linked yet. {hint}"))
    for s in model.schedules[:SCHEDULES_MAX]:
        channel = f" · <#{s.channel_id}>" if s.channel_id else ""
        status = button("Status", ButtonId.STATUS, str(s.id))
        blocks.append(section(f"*{s.name}* · {len(s.members)} members · horizon {s.horizon_days} days{channel}",
                              status))
        if s.destinations:
            blocks.append(context(*[destination_text(d) for d in s.destinations[:10]]))
        else:
            blocks.append(context("No destinations."))
    if len(model.schedules) > SCHEDULES_MAX:
        blocks.append(context(f"…and {len(model.schedules) - SCHEDULES_MAX} more: `/oncall status`."))
    blocks.append(context("`/oncall help` lists every command."))
    return {"type": "home", "callback_id": ViewId.HOME, "blocks": blocks[:100]}
