"""Time off: add, list, cancel, and the replacements it triggers in every schedule of the person.

A new interval that overlaps an assigned future shift hands that shift to the best available
person (`assignments.replace_after_time_off`: version bumped, so the sync engine re-exports it).
Cancelling never moves shifts back: the new holders keep them (a swap undoes one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.context import Context
from bot.services import authz
from bot.services.auth import person
from bot.services.authz import Action
from bot.services.directory import Directory
from bot.services.errors import UserError
from bot.store import audit, session_scope
from bot.store.models import Member, Schedule, TimeOff
from bot.sync.assignments import replace_after_time_off

MAX_DAYS = 366


@dataclass(frozen=True)
class Holder:
    name: str
    slack_user_id: str | None


@dataclass(frozen=True)
class MovedShift:
    shift_id: int
    schedule_id: int
    schedule_name: str
    time_zone: str
    role: str
    start: datetime
    end: datetime
    old: Holder
    new: Holder


@dataclass(frozen=True)
class OpenShift:
    """A shift whose holder is away but nobody else could take it."""

    shift_id: int
    schedule_id: int
    schedule_name: str
    time_zone: str
    channel_id: str | None
    role: str
    start: datetime
    end: datetime
    holder: Holder


@dataclass(frozen=True)
class ReplacementOutcome:
    moved: tuple[MovedShift, ...] = ()
    uncovered: tuple[OpenShift, ...] = ()
    schedules: tuple[str, ...] = ()  # names of the schedules checked

    def shift_ids_by_schedule(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for m in self.moved:
            out.setdefault(m.schedule_id, []).append(m.shift_id)
        return out

    def __add__(self, other: ReplacementOutcome) -> ReplacementOutcome:
        return ReplacementOutcome(self.moved + other.moved, self.uncovered + other.uncovered,
                                  tuple(dict.fromkeys(self.schedules + other.schedules)))


@dataclass(frozen=True)
class Entry:
    id: int
    slack_user_id: str
    start: datetime
    end: datetime
    reason: str
    source: str
    created_by: str


@dataclass(frozen=True)
class AwayResult:
    entry: Entry
    outcome: ReplacementOutcome


def _entry(row: TimeOff) -> Entry:
    return Entry(row.id, row.slack_user_id, row.start, row.end, row.reason, row.source, row.created_by)


def memberships(session: Session, team_id: str, slack_user_id: str, now: datetime | None = None) -> list[Member]:
    """The person's current memberships (one row per schedule)."""
    rows = session.exec(select(Member).where(Member.team_id == team_id, Member.slack_user_id == slack_user_id)).all()
    return [m for m in rows if m.left_at is None or (now is not None and m.left_at > now)]


def may_act_for(ctx: Context, directory: Directory, team_id: str, actor: str, target: str) -> bool:
    """Oneself always; someone else: a workspace/bot admin or a manager of one of their schedules."""
    if actor == target:
        return True
    with session_scope(ctx.engine) as session:
        schedules = [session.get(Schedule, m.schedule_id) for m in memberships(session, team_id, target)]
        return authz.may_any(person(ctx, directory, actor), Action.TIME_OFF_FOR_OTHERS,
                             [s for s in schedules if s is not None])


def refusal_for_others(target: str, what: str) -> str:
    return (f":no_entry: Only a manager of one of <@{target}>'s schedules or a workspace admin can {what} "
            "for someone else. Ask them, or do it for yourself without the mention.")


def _holder(members: dict[int, Member], member_id: int | None) -> Holder:
    m = members.get(member_id or -1)
    return Holder(m.name or m.email, m.slack_user_id) if m else Holder("nobody", None)


def replace_for_user(ctx: Context, session: Session, team_id: str, slack_user_id: str, actor: str,
                     now: datetime) -> ReplacementOutcome:
    """Run the time-off replacement in every schedule the person is in.

    `uncovered` keeps only this person's shifts (others were reported when they were found).
    """
    total = ReplacementOutcome()
    for membership in memberships(session, team_id, slack_user_id, now):
        schedule = session.get(Schedule, membership.schedule_id)
        if schedule is None:
            continue
        result = replace_after_time_off(ctx, session, schedule, actor, now)
        members = {m.id: m for m in session.exec(select(Member).where(Member.schedule_id == schedule.id)).all()}
        moved = tuple(
            MovedShift(row.id, schedule.id, schedule.name, schedule.time_zone, row.role, row.start, row.end,
                       _holder(members, before), _holder(members, row.member_id))
            for row, before in result.changed
        )
        uncovered = tuple(
            OpenShift(row.id, schedule.id, schedule.name, schedule.time_zone, schedule.channel_id, row.role,
                      row.start, row.end, _holder(members, row.member_id))
            for row in result.uncovered if row.member_id == membership.id
        )
        total = total + ReplacementOutcome(moved, uncovered, (schedule.name,))
    return total


def add_time_off(ctx: Context, team_id: str, actor: str, target: str, start: datetime, end: datetime,
                 reason: str = "", now: datetime | None = None) -> AwayResult:
    """Store the interval and replace the person's clashing future shifts (one transaction)."""
    now = now or ctx.clock()
    if end <= start:
        raise UserError("That time off ends before it starts.")
    if end <= now:
        raise UserError("That time off is already over: give a date from today on.")
    if end - start > timedelta(days=MAX_DAYS):
        raise UserError(f"That is more than {MAX_DAYS} days: enter long leave in parts, or ask an admin to "
                        "remove the person from the schedule.")
    with session_scope(ctx.engine) as session:
        row = TimeOff(team_id=team_id, slack_user_id=target, start=start, end=end, reason=reason[:200],
                      source="manual", created_by=actor)
        session.add(row)
        session.flush()
        audit.record(session, team_id, actor, "timeoff.add",
                     detail=f"#{row.id} for <@{target}>, {start.astimezone(UTC):%Y-%m-%d %H:%M} – "
                            f"{end.astimezone(UTC):%Y-%m-%d %H:%M} UTC", at=now)
        outcome = replace_for_user(ctx, session, team_id, target, actor, now)
        return AwayResult(_entry(row), outcome)


def list_time_off(engine: Engine, team_id: str, slack_user_id: str, now: datetime) -> list[Entry]:
    """Current and future time off of one person, soonest first."""
    with session_scope(engine) as session:
        return time_off_of(session, team_id, [slack_user_id], now)[slack_user_id]


def time_off_of(session: Session, team_id: str, slack_user_ids: Sequence[str], now: datetime) -> dict[str, list[Entry]]:
    """Current and future time off of these people (one query), soonest first per person."""
    out: dict[str, list[Entry]] = {u: [] for u in slack_user_ids}
    rows = session.exec(
        select(TimeOff).where(TimeOff.team_id == team_id, TimeOff.slack_user_id.in_(list(out)),
                              TimeOff.cancelled_at.is_(None), TimeOff.end > now).order_by(TimeOff.start)
    ).all()
    for r in rows:
        out[r.slack_user_id].append(_entry(r))
    return out


def _live(session: Session, team_id: str, time_off_id: int) -> TimeOff:
    row = session.get(TimeOff, time_off_id)
    if row is None or row.team_id != team_id or row.cancelled_at is not None:
        raise UserError(f"There is no time off #{time_off_id}. See `/oncall away list`.")
    return row


def get_time_off(engine: Engine, team_id: str, time_off_id: int) -> Entry:
    with session_scope(engine) as session:
        return _entry(_live(session, team_id, time_off_id))


def cancel_time_off(engine: Engine, team_id: str, actor: str, time_off_id: int, now: datetime) -> Entry:
    """Mark one entry cancelled (calendar entries are refused: they come back on the next fetch)."""
    with session_scope(engine) as session:
        row = _live(session, team_id, time_off_id)
        entry = _entry(row)
        if entry.source == "calendar":
            raise UserError(f"Time off #{time_off_id} comes from a calendar feed: remove the event from the "
                            "calendar (it disappears at the next fetch), or turn the feed off with "
                            "`/oncall calendar off`.")
        row.cancelled_at = now
        audit.record(session, team_id, actor, "timeoff.cancel",
                     detail=f"#{row.id} for <@{row.slack_user_id}>", at=now)
        return entry


def user_zone(directory: Directory, user_id: str, fallback: str = "UTC") -> str:
    """The person's Slack time zone (users.info `tz`), or `fallback` when unknown or invalid."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        user = directory.user(user_id)
    except Exception:  # Slack unreachable: dates still work, in the fallback zone
        return fallback
    zone = user.tz if user else None
    if not zone:
        return fallback
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback
    return zone
