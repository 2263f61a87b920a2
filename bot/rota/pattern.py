"""Shift patterns: when handoffs happen, in the schedule's own time zone.

Slots are computed on the wall clock of `ShiftPattern.time_zone` and returned in UTC. Each slot ends
exactly where the next one starts, so a daylight-saving change makes one slot an hour shorter or
longer but never opens a gap or an overlap.

Lengths that are whole days (daily, weekly, every N days) hand off at `handoff` local time. Hour
lengths that divide 24 (12h, 8h, 6h…) hand off at `handoff` + k·N hours local time every day. Any
other length steps in absolute time from the anchor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from .model import PRIMARY, Slot, SlotKind, Window

DAY = timedelta(days=1)


@dataclass(frozen=True)
class ActiveWindow:
    """A coverage restriction in local time: every day (`iso_weekday` None) or weekly from a weekday."""

    start: time
    duration: timedelta
    iso_weekday: int | None = None  # 1=Monday … 7=Sunday


@dataclass(frozen=True)
class ShiftPattern:
    """How a schedule is cut into slots and which roles staff each slot.

    - `length`: a whole number of days (wall-clock handoffs) or of hours.
    - `anchor`: local date a turn starts on; fixes the phase of multi-day turns and of the
      imported rotation order. Defaults to 2024-01-01 (a Monday).
    - `split_weekend`: the weekend (`weekend_days`, Python weekdays, Saturday=5) becomes its own
      slot from the handoff on its first day to the handoff after its last day.
    - `holidays`: local dates whose slots count as holiday shifts (balanced separately).
    - `order`: the imported rotation order (member ids); ties in fairness follow it.
    - `min_rest`: minimum time between one person's shifts where team size allows; None means
      one turn length less an hour (so a turn shortened by a DST change does not count).
    """

    time_zone: str = "UTC"
    handoff: time = time(9, 0)
    length: timedelta = DAY
    roles: tuple[str, ...] = (PRIMARY,)
    anchor: date = date(2024, 1, 1)
    split_weekend: bool = False
    weekend_days: tuple[int, ...] = (5, 6)
    holidays: frozenset[date] = field(default_factory=frozenset)
    order: tuple[str, ...] = ()
    restrictions: tuple[ActiveWindow, ...] = ()
    min_rest: timedelta | None = None

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # raises for an unknown zone
        if self.length <= timedelta(0):
            raise ValueError("shift length must be positive")
        if not self.roles or len(set(self.roles)) != len(self.roles):
            raise ValueError("roles must be distinct and non-empty")
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def rest(self) -> timedelta:
        if self.min_rest is not None:
            return self.min_rest
        return max(self.length - timedelta(hours=1), self.length / 2)

    @property
    def day_based(self) -> bool:
        return self.length % DAY == timedelta(0)

    @property
    def wall_clock_hours(self) -> bool:
        return not self.day_based and DAY % self.length == timedelta(0)


def daily(**kw) -> ShiftPattern:
    return ShiftPattern(length=DAY, **kw)


def weekly(**kw) -> ShiftPattern:
    return ShiftPattern(length=7 * DAY, **kw)


def every_days(n: int, **kw) -> ShiftPattern:
    return ShiftPattern(length=n * DAY, **kw)


def every_hours(n: int, **kw) -> ShiftPattern:
    return ShiftPattern(length=timedelta(hours=n), **kw)


# ---------------------------------------------------------------- wall clock helpers


def _local(pattern: ShiftPattern, d: date, t: time, plus: timedelta = timedelta(0)) -> datetime:
    """Wall-clock `d t (+plus)` in the pattern's zone, as UTC. Times in a spring-forward gap map
    with the pre-transition offset (fold=0), which keeps boundaries monotonic."""
    naive = datetime.combine(d, t) + plus
    return naive.replace(tzinfo=pattern.zone).astimezone(UTC)


def _turn_days(pattern: ShiftPattern) -> int:
    return pattern.length // DAY


def turn_index(pattern: ShiftPattern, at: datetime) -> int:
    """Index of the base turn (counted from the anchor) containing instant `at`."""
    local = at.astimezone(pattern.zone)
    if pattern.day_based or pattern.wall_clock_hours:
        d = local.date()
        if local.time().replace(tzinfo=None) < pattern.handoff:
            d -= DAY
        days = (d - pattern.anchor).days
        if pattern.day_based:
            return days // _turn_days(pattern)
        per_day = DAY // pattern.length
        since = datetime.combine(local.date(), local.time().replace(tzinfo=None)) - datetime.combine(
            d, pattern.handoff
        )
        return days * per_day + min(per_day - 1, since // pattern.length)
    anchor = _local(pattern, pattern.anchor, pattern.handoff)
    return (at - anchor) // pattern.length


def _base_boundaries(pattern: ShiftPattern, start: datetime, end: datetime) -> list[datetime]:
    """Sorted handoff instants covering at least [start, end) plus one turn each side."""
    zone = pattern.zone
    first = start.astimezone(zone).date() - DAY
    last = end.astimezone(zone).date() + DAY
    out: list[datetime] = []
    if pattern.day_based:
        n = _turn_days(pattern)
        k = (first - pattern.anchor).days // n - 1
        while True:
            d = pattern.anchor + k * n * DAY
            out.append(_local(pattern, d, pattern.handoff))
            if d > last:
                break
            k += 1
    elif pattern.wall_clock_hours:
        per_day = DAY // pattern.length
        d = first - DAY
        while d <= last:
            out.extend(_local(pattern, d, pattern.handoff, j * pattern.length) for j in range(per_day))
            d += DAY
    else:
        anchor = _local(pattern, pattern.anchor, pattern.handoff)
        k = (start - anchor) // pattern.length - 1
        while True:
            b = anchor + k * pattern.length
            out.append(b)
            if b > end + pattern.length:
                break
            k += 1
    return sorted(set(out))


def _weekend_spans(pattern: ShiftPattern, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    days = sorted(pattern.weekend_days)
    if not days:
        return []
    first_day, n = days[0], len(days)
    spans = []
    d = start.astimezone(pattern.zone).date() - 8 * DAY
    last = end.astimezone(pattern.zone).date() + 8 * DAY
    while d <= last:
        if d.weekday() == first_day:
            spans.append((_local(pattern, d, pattern.handoff), _local(pattern, d + n * DAY, pattern.handoff)))
        d += DAY
    return spans


def _boundaries(pattern: ShiftPattern, start: datetime, end: datetime) -> list[datetime]:
    base = _base_boundaries(pattern, start, end)
    if not pattern.split_weekend:
        return base
    spans = _weekend_spans(pattern, start, end)
    kept = [b for b in base if not any(s < b < e for s, e in spans)]
    lo, hi = base[0], base[-1]
    edges = [x for s, e in spans for x in (s, e) if lo <= x <= hi]
    return sorted(set(kept) | set(edges))


def kind_of(pattern: ShiftPattern, start: datetime) -> SlotKind:
    """Holiday if the slot starts on a listed local date, weekend if on a weekend day (both when a
    holiday falls on a weekend day), else weekday."""
    d = start.astimezone(pattern.zone).date()
    weekend = d.weekday() in pattern.weekend_days
    if d in pattern.holidays:
        return SlotKind.WEEKEND_HOLIDAY if weekend else SlotKind.HOLIDAY
    return SlotKind.WEEKEND if weekend else SlotKind.WEEKDAY


def _active_intervals(
    pattern: ShiftPattern, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    d = start.astimezone(pattern.zone).date() - 8 * DAY
    last = end.astimezone(pattern.zone).date() + DAY
    out = []
    while d <= last:
        for w in pattern.restrictions:
            if w.iso_weekday is None or d.isoweekday() == w.iso_weekday:
                s = _local(pattern, d, w.start)
                out.append((s, _local(pattern, d, w.start, w.duration)))
        d += DAY
    out.sort()
    merged: list[tuple[datetime, datetime]] = []
    for s, e in out:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def slots(pattern: ShiftPattern, window: Window) -> list[Slot]:
    """Every slot (for every role) overlapping `window`, whole, sorted by (start, role).

    With restrictions, slots are clipped to the active windows (the rest is intentionally uncovered).
    """
    bounds = _boundaries(pattern, window.start, window.end)
    spans = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if window.overlaps(a, b)]
    if pattern.restrictions:
        active = _active_intervals(pattern, window.start, window.end)
        clipped = []
        for a, b in spans:
            for s, e in active:
                lo, hi = max(a, s), min(b, e)
                if lo < hi:
                    clipped.append((lo, hi))
        spans = clipped
    return [Slot(role, a, b, kind_of(pattern, a)) for a, b in spans for role in pattern.roles]


def nominal_member(pattern: ShiftPattern, slot: Slot) -> str | None:
    """Who the imported rotation order puts on `slot` (secondary runs half a team behind)."""
    if not pattern.order:
        return None
    n = len(pattern.order)
    role_offset = (
        pattern.roles.index(slot.role) * (n // 2 if n > 1 else 0) if slot.role in pattern.roles else 0
    )
    return pattern.order[(turn_index(pattern, slot.start) + role_offset) % n]


# ---------------------------------------------------------------- import


class RotationRestriction(Protocol):
    kind: str  # "daily" | "weekly"
    start_day_of_week: int | None
    start_time: str  # "HH:MM[:SS]"
    duration_seconds: int


class RotationUser(Protocol):
    id: str


class Rotation(Protocol):
    """What the rota reads of a provider rotation (`bot.providers.RemoteRotation` has it): the
    rota names only the shape, so it imports nothing of the providers."""

    start: datetime
    turn_length_seconds: int
    users: Sequence[RotationUser]
    restrictions: Sequence[RotationRestriction]


def _parse_hms(text: str) -> time:
    parts = [int(p) for p in text.split(":")]
    while len(parts) < 3:
        parts.append(0)
    return time(parts[0], parts[1], parts[2])


def pattern_from_rotation(
    rotation: Rotation,
    time_zone: str,
    *,
    member_ids: Mapping[str, str] | None = None,
    roles: tuple[str, ...] = (PRIMARY,),
    holidays: frozenset[date] = frozenset(),
    min_rest: timedelta | None = None,
) -> ShiftPattern:
    """Import a PagerDuty layer or an Opsgenie rotation.

    The rotation start fixes both the handoff time (its local wall-clock time) and the phase, so
    `nominal_member` continues the provider's order exactly. `member_ids` maps provider user ids to
    the bot's member ids (unmapped ids are kept as they are). Restrictions become active windows.
    """
    zone = ZoneInfo(time_zone)
    local_start = rotation.start.astimezone(zone)
    if rotation.turn_length_seconds <= 0:
        raise ValueError("rotation turn length must be positive")
    length = timedelta(seconds=rotation.turn_length_seconds)
    mapping = member_ids or {}
    windows = []
    for r in rotation.restrictions:
        weekday = r.start_day_of_week if r.kind == "weekly" else None
        windows.append(ActiveWindow(_parse_hms(r.start_time), timedelta(seconds=r.duration_seconds), weekday))
    return ShiftPattern(
        time_zone=time_zone,
        handoff=local_start.time().replace(tzinfo=None, microsecond=0),
        length=length,
        roles=roles,
        anchor=local_start.date(),
        holidays=holidays,
        order=tuple(mapping.get(u.id, u.id) for u in rotation.users),
        restrictions=tuple(windows),
        min_rest=min_rest,
    )
