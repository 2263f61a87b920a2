"""`who`: who is on call now and next, per schedule and role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot.context import Context
from bot.services import workspace
from bot.services.status import ShiftLine, shifts_between
from bot.store import Schedule, session_scope


@dataclass(frozen=True)
class OnCall:
    schedule_name: str
    role: str
    now: ShiftLine | None
    next: ShiftLine | None


@dataclass(frozen=True)
class WhoAnswer:
    scope: str  # "schedule" | "channel" | "workspace"
    entries: tuple[OnCall, ...]
    schedules: tuple[str, ...]  # names considered (some may have no shifts yet)


def who(ctx: Context, team_id: str, *, name: str | None = None, channel_id: str | None = None) -> WhoAnswer:
    """A named schedule; else the schedules notifying `channel_id`; else all of the workspace's."""
    now = ctx.clock()
    with session_scope(ctx.engine) as session:
        if name:
            schedules, scope = [workspace.find_schedule(session, team_id, name)], "schedule"
        else:
            schedules, scope = [], "workspace"
            if channel_id:
                schedules = list(session.exec(
                    select(Schedule).where(Schedule.team_id == team_id, Schedule.channel_id == channel_id)
                    .order_by(Schedule.name)
                ))
                scope = "channel"
            if not schedules:
                schedules, scope = workspace.schedules(session, team_id), "workspace"
        entries: list[OnCall] = []
        for sched in schedules:
            upcoming = shifts_between(session, sched, now, 50)
            for role in sorted({s.role for s in upcoming}, key=lambda r: (r != "primary", r)):
                mine = [s for s in upcoming if s.role == role]
                current = next((s for s in mine if s.start <= now < s.end), None)
                later = next((s for s in mine if s.start >= (current.end if current else now)), None)
                entries.append(OnCall(sched.name, role, current, later))
        return WhoAnswer(scope, tuple(entries), tuple(s.name for s in schedules))
