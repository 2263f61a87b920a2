"""`/oncall fairness`: per-person load of a schedule over a period, from the database.

The period is what was served (history and past shifts) up to now plus what is planned up to
the horizon, clipped to the shifts the bot knows (a schedule linked last week has no 90 days
of history, and counting that as a gap would only mislead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.context import Context
from bot.rota.fairness import fairness_report
from bot.rota.model import Window
from bot.services import workspace
from bot.services.errors import UserError
from bot.store import Member, Schedule, Shift, session_scope
from bot.sync.assignments import load_inputs, to_rota

DEFAULT_DAYS = 90
MAX_SCHEDULES = 3


@dataclass(frozen=True)
class WindowSpec:
    """`kind`: "days" (`days` back from now, up to the horizon), "month" or "quarter" (the current one)."""

    kind: str = "days"
    days: int = DEFAULT_DAYS

    @property
    def label(self) -> str:
        return f"last {self.days} days + plan" if self.kind == "days" else f"this {self.kind}"


@dataclass(frozen=True)
class FairnessLine:
    name: str
    slack_user_id: str | None
    served_hours: float
    upcoming_hours: float
    weekend_shifts: int
    holiday_shifts: int
    share: float
    target_share: float
    delta_hours: float


@dataclass(frozen=True)
class FairnessData:
    schedule_name: str
    time_zone: str
    start: datetime
    end: datetime
    now: datetime
    window_label: str
    lines: tuple[FairnessLine, ...]
    score: int
    quality_line: str
    target_line: str = ""


def _period(spec: WindowSpec, schedule: Schedule, now: datetime) -> tuple[datetime, datetime]:
    zone = ZoneInfo(schedule.time_zone)
    horizon = now + timedelta(days=schedule.horizon_days)
    if spec.kind == "days":
        return now - timedelta(days=spec.days), horizon
    today = now.astimezone(zone).date()
    if spec.kind == "month":
        first = today.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
    else:
        q = (today.month - 1) // 3
        first = date(today.year, 3 * q + 1, 1)
        nxt = date(today.year + (q == 3), (3 * q + 3) % 12 + 1, 1)
    return datetime.combine(first, time(0), zone), datetime.combine(nxt, time(0), zone)


def schedule_fairness(session: Session, schedule: Schedule, spec: WindowSpec, now: datetime) -> FairnessData:
    start, end = _period(spec, schedule, now)
    rows = list(session.exec(select(Shift).where(Shift.schedule_id == schedule.id, Shift.start < end,
                                                 Shift.end > start, Shift.member_id.is_not(None))))
    if rows:
        start = max(start, min(r.start for r in rows))
        end = min(end, max(r.end for r in rows))
    if end <= start:
        end = start + timedelta(hours=1)
    inputs = load_inputs(session, schedule, now)
    report = fairness_report([to_rota(r, inputs.pattern) for r in rows], pattern=inputs.pattern, members=inputs.members,
                             period=Window(start, end), now=now, time_off=inputs.time_off)
    members = {str(m.id): m for m in session.exec(select(Member).where(Member.schedule_id == schedule.id))}
    lines = tuple(
        FairnessLine(members[r.member_id].name or members[r.member_id].email, members[r.member_id].slack_user_id,
                     r.served_hours, r.upcoming_hours, r.weekend_shifts, r.holiday_shifts, r.share,
                     r.target_share, r.delta_hours)
        for r in report.rows if r.member_id in members
    )
    lines = tuple(sorted(lines, key=lambda x: (-(x.served_hours + x.upcoming_hours), x.name)))
    later = sorted((m.joined, members[m.id].name or members[m.id].email)
                   for m in inputs.members if m.id in members and m.joined and start < m.joined < end)
    return FairnessData(schedule.name, schedule.time_zone, start, end, now, spec.label, lines, report.score,
                        report.quality_line, target_line(start, later, ZoneInfo(schedule.time_zone)))


def target_line(since: datetime, later: list[tuple[datetime, str]], zone: ZoneInfo) -> str:
    """What the fair target is based on, in one line."""
    text = (f"Target: an equal share of every shift since {since.astimezone(zone):%a %d %b %Y} in this rotation, "
            "among the people who were members then")
    if later:
        text += "; joined later: " + ", ".join(f"{name} ({when.astimezone(zone):%d %b})" for when, name in later)
    return text


def _candidates(session: Session, team_id: str, channel_id: str | None, user_id: str) -> list[Schedule]:
    every = workspace.schedules(session, team_id)
    here = [s for s in every if channel_id and s.channel_id == channel_id]
    if here:
        return here
    mine_ids = {m.schedule_id for m in session.exec(select(Member).where(
        Member.team_id == team_id, Member.slack_user_id == user_id, Member.left_at.is_(None)))}
    return [s for s in every if s.id in mine_ids] or every


def fairness(ctx: Context, team_id: str, *, name: str | None, channel_id: str | None, user_id: str,
             spec: WindowSpec) -> list[FairnessData]:
    """Reports for the named schedule, else this channel's, else the person's, else all (at most 3)."""
    now = ctx.clock()
    with session_scope(ctx.engine) as session:
        if name:
            chosen = [workspace.find_schedule(session, team_id, name)]
        else:
            chosen = _candidates(session, team_id, channel_id, user_id)
        if not chosen:
            raise UserError("No schedule is linked yet. Link one with `/oncall link`.")
        if len(chosen) > MAX_SCHEDULES:
            names = ", ".join(f"`{s.name}`" for s in chosen)
            raise UserError(f"Which schedule? {names}. Type `/oncall fairness <schedule>`.")
        return [schedule_fairness(session, s, spec, now) for s in chosen]
