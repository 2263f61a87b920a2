"""When reminders and handover messages are due (issue 14). Pure: no I/O, no Slack, no DB.

Reminders (per person, per shift):

- ``1d``: 18:00 on the day before the shift starts, on the holder's own wall clock (their Slack
  time zone), whatever the UTC offset that day (DST); ``1h``: one hour before the start.
- Catch-up rule: a reminder is sent from its due time until `CATCH_UP` later, and never once its
  shift has started (`is_due`). After a longer downtime, or when a shift is handed to someone
  after that window (a swap at 23:00 for tomorrow's shift), that reminder is skipped, not sent late;
  the other offset still comes when due.
- So only shifts starting within `LOOKAHEAD` can have a reminder due (the evening before is at
  most 31 h before the start, in any zone).

Handover messages (per schedule): a handoff is a shift start where the holder changes (or no
shift of that role ended there). It is announced from its time until `HANDOVER_CATCH_UP` later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_BEFORE = "1d"
HOUR_BEFORE = "1h"
OFFSETS = (DAY_BEFORE, HOUR_BEFORE)
DEFAULT_OFFSETS = OFFSETS
EVENING = time(18, 0)
CATCH_UP = timedelta(hours=2)
LOOKAHEAD = timedelta(hours=32)
HANDOVER_CATCH_UP = timedelta(minutes=30)
OFFSET_WORDS = {DAY_BEFORE: "the evening before (18:00)", HOUR_BEFORE: "1 h before"}


@dataclass(frozen=True)
class Slot:
    """A shift as the notifications see it."""

    id: int
    schedule_id: int
    role: str
    start: datetime
    end: datetime
    member_id: int | None
    slack_user_id: str | None = None
    name: str = ""


def due_at(start: datetime, offset: str, zone: str) -> datetime:
    """When the `offset` reminder of a shift starting at `start` is due (aware UTC in, aware out)."""
    if offset == HOUR_BEFORE:
        return start - timedelta(hours=1)
    if offset != DAY_BEFORE:
        raise ValueError(f"unknown reminder offset {offset!r}")
    tz = ZoneInfo(zone)
    eve: date = start.astimezone(tz).date() - timedelta(days=1)
    return datetime.combine(eve, EVENING, tzinfo=tz).astimezone(start.tzinfo)


def is_due(due: datetime, start: datetime, now: datetime) -> bool:
    """The catch-up rule: from `due` for `CATCH_UP`, and only before the shift starts."""
    return due <= now < min(due + CATCH_UP, start)


def might_be_due(start: datetime, offset: str, now: datetime) -> bool:
    """False when `offset` cannot be due now in any time zone (so nobody's zone is looked up): the
    evening before is 6 h (a shift at midnight) to 30 h (one at 23:59) before the start, one more
    either way on a DST day."""
    if offset == HOUR_BEFORE:
        return is_due(due_at(start, offset, "UTC"), start, now)
    return start - timedelta(hours=31) <= now < start - timedelta(hours=5) + CATCH_UP


def offsets_text(offsets: Sequence[str]) -> str:
    """"the evening before (18:00) and 1 h before", or "off"."""
    words = [OFFSET_WORDS[o] for o in OFFSETS if o in offsets]
    return " and ".join(words) if words else "off"


def parse_offsets(stored: str | None) -> tuple[str, ...]:
    """A stored preference ("1d,1h", "" = off; None = no preference: the defaults)."""
    if stored is None:
        return DEFAULT_OFFSETS
    return tuple(o for o in OFFSETS if o in stored.split(","))


# ---------------------------------------------------------------- neighbours and handoffs


def by_role(slots: Iterable[Slot]) -> dict[str, list[Slot]]:
    out: dict[str, list[Slot]] = {}
    for s in sorted(slots, key=lambda s: s.start):
        out.setdefault(s.role, []).append(s)
    return out


def before(role_slots: Sequence[Slot], slot: Slot) -> Slot | None:
    """The shift of the same role that ends where `slot` starts (the one handing over), if any."""
    return next((s for s in role_slots if s.id != slot.id and s.end == slot.start), None)


def after(role_slots: Sequence[Slot], slot: Slot) -> Slot | None:
    """The first shift of the same role starting at or after `slot` ends (the one taking over)."""
    return next((s for s in role_slots if s.id != slot.id and s.start >= slot.end), None)


def at(role_slots: Sequence[Slot], t: datetime) -> Slot | None:
    """The shift of this role that covers `t`."""
    return next((s for s in role_slots if s.start <= t < s.end), None)


def is_handoff(role_slots: Sequence[Slot], slot: Slot) -> bool:
    """`slot` starting is a handoff: nobody of this role held it just before, or someone else did."""
    prev = before(role_slots, slot)
    return prev is None or prev.member_id != slot.member_id


def handoffs(slots: Iterable[Slot], now: datetime, catch_up: timedelta = HANDOVER_CATCH_UP) -> list[datetime]:
    """The handoff times of one schedule to announce now (`[t, t + catch_up)` holds `now`), oldest first."""
    found = set()
    for role_slots in by_role(slots).values():
        for s in role_slots:
            if s.start <= now < s.start + catch_up and is_handoff(role_slots, s):
                found.add(s.start)
    return sorted(found)
