"""Handover messages (issue 14): at each handoff of a schedule, who is on call now, until when,
and who is next, per role; and, when an open drift alert says the provider pages someone else
right now, who that is.

Once per handoff across replicas and restarts: `claim` inserts the `HandoverSent` row (unique per
schedule and handoff time) before the message is posted; whoever inserts second skips. Due times
and the catch-up rule: `bot.services.reminder_times` (`handoffs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.services.reminder_times import HANDOVER_CATCH_UP, Slot, at, by_role, handoffs
from bot.services.reminders import slot_of, slots_of
from bot.store import Destination, DriftAlert, HandoverSent, Schedule, Shift, session_scope
from bot.sync.alerts import OPEN, detail_of

ROLE_ORDER = ("primary", "secondary")


@dataclass(frozen=True)
class RoleLine:
    role: str
    now: Slot | None  # who holds the role at the handoff (None: nobody assigned)
    next: Slot | None  # the shift after it
    paged: tuple[str, ...] = ()  # open drift: who the provider pages instead (mentions or names)


@dataclass(frozen=True)
class Handover:
    team_id: str
    schedule_id: int
    schedule_name: str
    channel_id: str
    at: datetime
    lines: tuple[RoleLine, ...]


def due_handovers(engine: Engine, now: datetime) -> list[Handover]:
    """Every handoff to announce now and not claimed yet, in schedules with a channel and handover
    messages on."""
    out = []
    with session_scope(engine) as session:
        schedules = list(session.exec(select(Schedule).where(Schedule.channel_id.is_not(None),
                                                             Schedule.handover_messages.is_(True))))
        if not schedules:
            return []
        recent = slots_of(session, [s.id for s in schedules], now - HANDOVER_CATCH_UP - timedelta(seconds=1), now)
        for sched in schedules:
            mine = [s for s in recent if s.schedule_id == sched.id]
            times = handoffs(mine, now)
            if not times:
                continue
            done = set(session.exec(select(HandoverSent.at).where(HandoverSent.schedule_id == sched.id,
                                                                  HandoverSent.at.in_(times))))
            for t in times:
                if t not in done:
                    out.append(_handover(session, sched, t, now))
    return out


def _handover(session: Session, sched: Schedule, t: datetime, now: datetime) -> Handover:
    around = slots_of(session, [sched.id], t, t)  # the shifts holding each role at t (and ending at t)
    roles = by_role(around)
    paged = provider_pages(session, sched.id, now)
    lines = []
    for role in sorted(roles, key=lambda r: (ROLE_ORDER.index(r) if r in ROLE_ORDER else 9, r)):
        current = at(roles[role], t)
        nxt = None
        if current is not None:
            nxt = slot_of(session, session.exec(select(Shift).where(
                Shift.schedule_id == sched.id, Shift.role == role, Shift.start >= current.end,
                Shift.source != "history").order_by(Shift.start)).first())
        lines.append(RoleLine(role, current, nxt, paged.get(role, ())))
    return Handover(sched.team_id, sched.id, sched.name, sched.channel_id or "", t, tuple(lines))


def provider_pages(session: Session, schedule_id: int, now: datetime) -> dict[str, tuple[str, ...]]:
    """Per role, who the provider pages now instead of the bot's assignee, from the open drift
    alerts (their last read-back): no provider call here."""
    out: dict[str, tuple[str, ...]] = {}
    rows = session.exec(select(DriftAlert, Destination).join(Destination, Destination.id == DriftAlert.destination_id)
                        .where(DriftAlert.schedule_id == schedule_id, DriftAlert.status == OPEN))
    for alert, dest in rows:
        for item in detail_of(alert).get("items", []):
            try:
                start, end = datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])
            except (KeyError, TypeError, ValueError):
                continue
            if start <= now < end:
                paged = tuple(p for p in item.get("paged") or [] if isinstance(p, str))
                out[dest.role] = tuple(dict.fromkeys([*out.get(dest.role, ()), *paged])) or ("nobody",)
    return out


def claim(engine: Engine, h: Handover, now: datetime) -> int | None:
    """Claim this handoff's message: the claim's id, or None when another replica claimed it first."""
    try:
        with session_scope(engine) as session:
            row = HandoverSent(team_id=h.team_id, schedule_id=h.schedule_id, at=h.at, claimed_at=now,
                               channel_id=h.channel_id)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def record(engine: Engine, claim_id: int, *, ts: str | None = None, error: str | None = None) -> None:
    with session_scope(engine) as session:
        row = session.get(HandoverSent, claim_id)
        if row is not None:
            row.message_ts, row.error = ts, error[:200] if error else None
