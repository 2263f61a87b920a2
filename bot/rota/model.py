"""Plain frozen dataclasses of the rota core: members, time off, slots and shifts.

Every datetime is timezone-aware; shifts and intervals are stored in UTC. Member ids are strings
(the caller passes DB ids as ``str``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

PRIMARY = "primary"
SECONDARY = "secondary"


class SlotKind(StrEnum):
    """Shift types balanced separately. A slot's kind follows the local date it starts on.

    A holiday on a weekend day counts as both (people feel both): `WEEKEND_HOLIDAY`, whose
    `balanced` kinds are the weekend and the holiday counts.
    """

    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    WEEKEND_HOLIDAY = "weekend_holiday"

    @property
    def balanced(self) -> tuple[SlotKind, ...]:
        """The counts (weekend, holiday) a shift of this kind adds to."""
        return _BALANCED[self]


BALANCED_KINDS = (SlotKind.WEEKEND, SlotKind.HOLIDAY)
_BALANCED = {
    SlotKind.WEEKDAY: (),
    SlotKind.WEEKEND: (SlotKind.WEEKEND,),
    SlotKind.HOLIDAY: (SlotKind.HOLIDAY,),
    SlotKind.WEEKEND_HOLIDAY: BALANCED_KINDS,
}


def utc(dt: datetime) -> datetime:
    """Normalise an aware datetime to UTC; naive datetimes are refused (they are always a bug here)."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: rota datetimes must be timezone-aware")
    return dt.astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start))
        object.__setattr__(self, "end", utc(self.end))
        if self.end < self.start:
            raise ValueError("window ends before it starts")

    @classmethod
    def days(cls, start: datetime, days: int) -> Window:
        return cls(start, start + timedelta(days=days))

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return start < self.end and self.start < end


@dataclass(frozen=True)
class Member:
    """A schedule member. Membership is [joined, left); None means open-ended.

    Fair shares accrue only while someone is a member, so a new joiner is not handed the backlog.
    """

    id: str
    joined: datetime | None = None
    left: datetime | None = None
    name: str = ""

    def active_during(self, start: datetime, end: datetime) -> bool:
        """True when the whole of [start, end) is inside the membership."""
        return (self.joined is None or self.joined <= start) and (self.left is None or end <= self.left)


@dataclass(frozen=True)
class TimeOff:
    """A blocking interval for one member (manual `/oncall away` or a calendar feed)."""

    member_id: str
    start: datetime
    end: datetime
    reason: str = ""
    source: str = "manual"

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start))
        object.__setattr__(self, "end", utc(self.end))

    def overlap_seconds(self, start: datetime, end: datetime) -> float:
        return max(0.0, (min(end, self.end) - max(start, self.start)).total_seconds())


@dataclass(frozen=True)
class Slot:
    """One role to staff over [start, end): what the pattern asks for, before anyone is assigned."""

    role: str
    start: datetime
    end: datetime
    kind: SlotKind = SlotKind.WEEKDAY

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def key(self) -> tuple[str, datetime]:
        return (self.role, self.start)


@dataclass(frozen=True)
class Shift:
    """An assignment: `member_id` holds `role` over [start, end) (UTC).

    `version` increments whenever the bot changes the shift (swap, replacement, reassign), which is
    what tells the sync engine to re-export it.
    """

    role: str
    start: datetime
    end: datetime
    member_id: str
    version: int = 1
    kind: SlotKind = SlotKind.WEEKDAY

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start))
        object.__setattr__(self, "end", utc(self.end))
        if self.end <= self.start:
            raise ValueError("a shift must end after it starts")

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    @property
    def key(self) -> tuple[str, datetime]:
        """Identity of the slot a shift fills (role, start); the member may change, the key does not."""
        return (self.role, self.start)

    def reassigned(self, member_id: str) -> Shift:
        """The same slot held by someone else, version bumped."""
        return replace(self, member_id=member_id, version=self.version + 1)


def shift_sort_key(s: Shift | Slot) -> tuple[datetime, str]:
    return (s.start, s.role)
