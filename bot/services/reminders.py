"""Shift reminders (issue 14): each person's offsets, which reminders are due, and the claim that
makes each one go out once.

Claim-then-send: `claim` inserts the `ReminderSent` row (unique per shift, holder and offset) in
its own transaction before anything is sent; a second replica, or the same one after a restart,
hits the unique constraint and skips. So a reminder is sent at most once, even when the send
fails afterwards (the error is recorded, not retried). When times are due: `reminder_times`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.services.errors import UserError
from bot.services.reminder_times import (
    DEFAULT_OFFSETS,
    LOOKAHEAD,
    OFFSETS,
    Slot,
    before,
    by_role,
    due_at,
    is_due,
    might_be_due,
    parse_offsets,
)
from bot.services.swaps import Choice, SwapQuery
from bot.services.swaps.request import OPTIONS_MAX
from bot.services.swaps.select import COVER, SWAP, upcoming
from bot.services.swaps.store import active_member, live_shifts, party, shift_ref
from bot.store import Member, ReminderPref, ReminderSent, Schedule, Shift, session_scope
from bot.store.types import utcnow

ZoneOf = Callable[[str, str, str], str]  # (team id, Slack user id, fallback zone) -> IANA zone


# ---------------------------------------------------------------- preferences


def get_offsets(engine: Engine, team_id: str, user_id: str) -> tuple[str, ...]:
    with session_scope(engine) as session:
        return offsets_of(session, team_id, [user_id]).get(user_id, DEFAULT_OFFSETS)


def set_offsets(engine: Engine, team_id: str, user_id: str, offsets: Sequence[str]) -> tuple[str, ...]:
    """Store the person's offsets (empty: off); returns them in canonical order."""
    chosen = tuple(o for o in OFFSETS if o in offsets)
    with session_scope(engine) as session:
        row = session.exec(select(ReminderPref).where(ReminderPref.team_id == team_id,
                                                      ReminderPref.slack_user_id == user_id)).first()
        if row is None:
            row = ReminderPref(team_id=team_id, slack_user_id=user_id)
        row.offsets, row.updated_at = ",".join(chosen), utcnow()
        session.add(row)
    return chosen


def offsets_of(session: Session, team_id: str, users: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The stored offsets of these people (absent: the defaults)."""
    rows = session.exec(select(ReminderPref).where(ReminderPref.team_id == team_id,
                                                   ReminderPref.slack_user_id.in_(list(users))))
    return {r.slack_user_id: parse_offsets(r.offsets) for r in rows}


# ---------------------------------------------------------------- what is due


@dataclass(frozen=True)
class Reminder:
    """One reminder to send: the shift, its holder, who hands over and who takes over."""

    team_id: str
    slot: Slot
    offset: str
    due: datetime
    zone: str  # the holder's time zone
    schedule_name: str
    roles: int  # how many roles the schedule has (the role is named when there are two)
    hands_over: Slot | None = None  # the shift before (its holder hands over to this one)
    takes_over: Slot | None = None  # the shift after


def slots_of(session: Session, schedule_ids: Sequence[int], start_after: datetime, start_before: datetime
             ) -> list[Slot]:
    """The schedules' assigned shifts overlapping [start_after, start_before], with their holders."""
    rows = session.exec(
        select(Shift, Member).join(Member, Member.id == Shift.member_id, isouter=True)
        .where(Shift.schedule_id.in_(list(schedule_ids)), Shift.end >= start_after, Shift.start <= start_before,
               Shift.source != "history")
        .order_by(Shift.start)
    )
    return [Slot(s.id, s.schedule_id, s.role, s.start, s.end, s.member_id, m.slack_user_id if m else None,
                 (m.name or m.email) if m else "") for s, m in rows]


def due_reminders(engine: Engine, now: datetime, zone_of: ZoneOf) -> list[Reminder]:
    """Every reminder due now (see `reminder_times.is_due`) and not claimed yet, oldest due first.
    `zone_of` (a Slack call) is asked once per holder with a reminder that may be due."""
    out: list[Reminder] = []
    with session_scope(engine) as session:
        schedules = {s.id: s for s in session.exec(select(Schedule))}
        if not schedules:
            return []
        slots = slots_of(session, list(schedules), now, now + LOOKAHEAD)
        upcoming = [s for s in slots if now < s.start <= now + LOOKAHEAD and s.slack_user_id]
        if not upcoming:
            return []
        left = {m.id for m in session.exec(select(Member).where(Member.id.in_([s.member_id for s in upcoming]),
                                                                Member.left_at.is_not(None)))}
        claimed = {(c.shift_id, c.slack_user_id, c.offset) for c in session.exec(
            select(ReminderSent).where(ReminderSent.shift_id.in_([s.id for s in upcoming])))}
        prefs: dict[str, dict[str, tuple[str, ...]]] = {}
        for team in {schedules[s.schedule_id].team_id for s in upcoming}:
            prefs[team] = offsets_of(session, team, [s.slack_user_id for s in upcoming if s.slack_user_id])
    roles_of = _group(slots)
    zones: dict[tuple[str, str], str] = {}
    due: list[tuple[Slot, str, datetime, str]] = []
    for slot in upcoming:
        if slot.member_id in left:
            continue
        team = schedules[slot.schedule_id].team_id
        user = slot.slack_user_id or ""
        for offset in prefs[team].get(user, DEFAULT_OFFSETS):
            if (slot.id, user, offset) in claimed or not might_be_due(slot.start, offset, now):
                continue
            if (team, user) not in zones:
                zones[(team, user)] = zone_of(team, user, schedules[slot.schedule_id].time_zone)
            when = due_at(slot.start, offset, zones[(team, user)])
            if is_due(when, slot.start, now):
                due.append((slot, offset, when, zones[(team, user)]))
    if not due:
        return []
    with session_scope(engine) as session:
        for slot, offset, when, zone in sorted(due, key=lambda d: (d[2], d[0].id)):
            sched = schedules[slot.schedule_id]
            same_role = roles_of[(slot.schedule_id, slot.role)]
            nxt = session.exec(select(Shift).where(Shift.schedule_id == slot.schedule_id, Shift.role == slot.role,
                                                   Shift.start >= slot.end, Shift.source != "history")
                               .order_by(Shift.start)).first()
            out.append(Reminder(sched.team_id, slot, offset, when, zone, sched.name,
                                len({r for (sid, r) in roles_of if sid == slot.schedule_id}),
                                before(same_role, slot), slot_of(session, nxt)))
    return out


def slot_of(session: Session, s: Shift | None) -> Slot | None:
    if s is None:
        return None
    m = session.get(Member, s.member_id) if s.member_id else None
    return Slot(s.id, s.schedule_id, s.role, s.start, s.end, s.member_id, m.slack_user_id if m else None,
                (m.name or m.email) if m else "")


def _group(slots: Sequence[Slot]) -> dict[tuple[int, str], list[Slot]]:
    out: dict[tuple[int, str], list[Slot]] = {}
    for s in slots:
        out.setdefault((s.schedule_id, s.role), []).append(s)
    return {k: by_role(v)[k[1]] for k, v in out.items()}


def claim(engine: Engine, r: Reminder, now: datetime) -> int | None:
    """Claim this reminder for this replica: the claim's id, or None when someone claimed it first."""
    try:
        with session_scope(engine) as session:
            row = ReminderSent(team_id=r.team_id, shift_id=r.slot.id, slack_user_id=r.slot.slack_user_id or "",
                               offset=r.offset, due_at=r.due, claimed_at=now)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def record_error(engine: Engine, claim_id: int, error: str) -> None:
    with session_scope(engine) as session:
        row = session.get(ReminderSent, claim_id)
        if row is not None:
            row.error = error[:200]


# ---------------------------------------------------------------- the DM's buttons


def from_reminder(engine: Engine, team_id: str, requester: str, shift_id: int, kind: str, other: str,
                  now: datetime) -> SwapQuery | Choice:
    """What a reminder's button starts. A cover: the query for the reminded shift. A swap: the swap
    flow's shift picker (a `Choice`) with the reminded shift against `other`'s upcoming shifts in that
    schedule, the next one preselected. UserError when it cannot be asked for any more."""
    with session_scope(engine) as session:
        shift = session.get(Shift, shift_id)
        member = session.get(Member, shift.member_id) if shift is not None and shift.member_id else None
        if shift is None or shift.team_id != team_id or shift.end <= now:
            raise UserError("That shift has ended or no longer exists.")
        if member is None or member.slack_user_id != requester:
            raise UserError("That shift is no longer yours: see `/oncall who`.")
        q = SwapQuery(team_id=team_id, kind=SWAP if kind == SWAP else COVER, requester=requester,
                      a_user=requester, b_user=other, schedule_id=shift.schedule_id,
                      picked_a=(shift.id,) if kind != SWAP else None)
        if kind != SWAP:
            return q
        schedule = session.get(Schedule, shift.schedule_id)
        theirs = active_member(session, schedule, other, now)
        options = [s for s in upcoming(live_shifts(session, schedule.id, now), theirs.id if theirs else -1, now)
                   if s.start > now][:OPTIONS_MAX]
        if theirs is None or not options:
            raise UserError(f"<@{other}> has no upcoming shift in this schedule to swap with: "
                            "ask them to cover it instead.")
        return Choice(q, f"which shift of <@{other}> do you take in exchange?", schedule_id=schedule.id,
                      schedule_name=schedule.name, time_zone=schedule.time_zone, a=party(member), b=party(theirs),
                      options_a=(shift_ref(shift),), options_b=tuple(options), selected_a=(shift.id,),
                      selected_b=(options[0].id,))
