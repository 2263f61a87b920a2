"""Pure swap logic: which shifts a swap or cover moves, and whether it may (no DB, no Slack).

Words: *A* and *B* are the two people of `/oncall swap @A @B` (`/oncall cover @B` means B
takes A's = my shifts). A swap moves `give_a` (A's shifts) to B and `give_b` (B's shifts) to A;
a cover moves `give_a` only.

Picking by window (local dates in the schedule's time zone):

- no date: each person's next shift that has not started;
- one date: each person's shifts on that date; none → the nearest one within `AROUND_DAYS`
  of it; several on the date → ambiguous (the caller asks in a modal);
- a range: all of each person's shifts starting in it (or spanning all of it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.store.types import ROW_ID_MAX

AROUND_DAYS = 3
SWAP, COVER = "swap", "cover"


@dataclass(frozen=True)
class ShiftRef:
    id: int
    role: str
    start: datetime
    end: datetime
    member_id: int
    version: int


@dataclass(frozen=True)
class Party:
    member_id: int
    slack_user_id: str
    name: str = ""


@dataclass(frozen=True)
class Window:
    """Local dates, inclusive. Both None: the next shift."""

    first: date | None = None
    last: date | None = None

    @property
    def is_next(self) -> bool:
        return self.first is None

    @property
    def is_range(self) -> bool:
        return self.first is not None and self.last is not None and self.last != self.first

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[start of first day, start of the day after last) as aware UTC."""
        zone = ZoneInfo(tz)
        first = self.first or date.min
        last = self.last or first
        lo = datetime.combine(first, time(0), zone).astimezone(UTC)
        hi = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
        return lo, hi


@dataclass(frozen=True)
class Pick:
    shifts: tuple[ShiftRef, ...]
    ambiguous: str | None = None  # why the caller should ask instead (shown in the modal)
    candidates: tuple[ShiftRef, ...] = ()  # what to preselect when ambiguous


def upcoming(shifts: Iterable[ShiftRef], member_id: int, now: datetime) -> list[ShiftRef]:
    """The person's shifts that end after `now`, in time order."""
    return sorted((s for s in shifts if s.member_id == member_id and s.end > now), key=lambda s: s.start)


def pick(shifts: Sequence[ShiftRef], window: Window, tz: str, now: datetime, who: str) -> Pick:
    """The shifts of one person (`shifts` = their live ones) that the window selects."""
    if window.is_next:
        future = [s for s in shifts if s.start > now]
        if not future:
            return Pick((), f"{who} has no upcoming shift")
        return Pick((future[0],))
    lo, hi = window.bounds(tz)
    if window.is_range:
        # a shift belongs to a range when it starts in it (or spans all of it)
        inside = tuple(s for s in shifts if lo <= s.start < hi or (s.start <= lo and s.end >= hi))
        if not inside:
            return Pick((), f"{who} has no shift in that period", _nearest(shifts, lo, hi))
        return Pick(inside)
    inside = tuple(s for s in shifts if s.start < hi and s.end > lo)
    if len(inside) == 1:
        return Pick(inside)
    if len(inside) > 1:
        return Pick((), f"{who} has several shifts on that date", inside)
    around = timedelta(days=AROUND_DAYS)
    near = [s for s in shifts if s.start < hi + around and s.end > lo - around]
    if len(near) == 1:
        return Pick((near[0],))
    if near:
        return Pick((), f"{who} has several shifts around that date", tuple(near))
    return Pick((), f"{who} has no shift on or around that date", _nearest(shifts, lo, hi))


def _nearest(shifts: Sequence[ShiftRef], lo: datetime, hi: datetime) -> tuple[ShiftRef, ...]:
    if not shifts:
        return ()
    return (min(shifts, key=lambda s: min(abs(s.start - lo), abs(s.end - hi))),)


# ---------------------------------------------------------------- the proposal


@dataclass(frozen=True)
class Proposal:
    kind: str  # SWAP | COVER
    schedule_id: int
    schedule_name: str
    time_zone: str
    a: Party
    b: Party
    give_a: tuple[ShiftRef, ...]  # A's shifts, to B
    give_b: tuple[ShiftRef, ...] = ()  # B's shifts, to A
    forced: bool = False

    @property
    def shifts(self) -> tuple[ShiftRef, ...]:
        return self.give_a + self.give_b

    @property
    def first_start(self) -> datetime:
        return min(s.start for s in self.shifts)

    def moves(self) -> list[tuple[ShiftRef, int]]:
        """(shift, new member id) for every shift that changes owner."""
        return [(s, self.b.member_id) for s in self.give_a] + [(s, self.a.member_id) for s in self.give_b]

    def token(self) -> str:
        """A compact description for a button value: ids and versions only."""
        return json.dumps({
            "k": self.kind, "s": self.schedule_id, "a": self.a.member_id, "b": self.b.member_id,
            "ga": [[s.id, s.version] for s in self.give_a], "gb": [[s.id, s.version] for s in self.give_b],
            "f": int(self.forced),
        }, separators=(",", ":"))


@dataclass(frozen=True)
class Token:
    """A decoded `Proposal.token()`."""

    kind: str
    schedule_id: int
    a_member: int
    b_member: int
    give_a: tuple[tuple[int, int], ...]
    give_b: tuple[tuple[int, int], ...]
    forced: bool

    @classmethod
    def parse(cls, raw: str) -> Token:
        """Raises ValueError/KeyError/TypeError unless `raw` is what `token()` writes (ids and versions
        as JSON integers within the INTEGER columns)."""
        d = json.loads(raw)
        return cls(d["k"], _column_int(d["s"]), _column_int(d["a"]), _column_int(d["b"]),
                   tuple((_column_int(i), _column_int(v, 0)) for i, v in d["ga"]),
                   tuple((_column_int(i), _column_int(v, 0)) for i, v in d["gb"]), bool(d.get("f")))


def _column_int(value: object, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= ROW_ID_MAX:
        raise ValueError("not an id of an INTEGER column")
    return value


@dataclass(frozen=True)
class Busy:
    """Time off of a member."""

    start: datetime
    end: datetime
    reason: str = ""


@dataclass
class Check:
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said out loud, e.g. forced over time off
    forceable: bool = False  # only time off stands in the way, and the requester may force

    @property
    def ok(self) -> bool:
        return not self.refusals


def check(
    p: Proposal,
    now: datetime,
    *,
    live: Sequence[ShiftRef],
    time_off: Mapping[int, Sequence[Busy]],
    claimed: Mapping[int, int],
    may_force: bool,
    actor: str = "",
) -> Check:
    """Every reason `p` cannot go ahead. `live`: all live shifts of the schedule (any role);
    `claimed`: shift id → pending request id holding it."""
    out = Check()
    tz = p.time_zone
    if p.a.member_id == p.b.member_id:
        out.refusals.append(f"That names {_who(p.a)} twice: a {p.kind} needs two different people.")
        return out
    if not p.give_a:
        out.refusals.append(f"{_who(p.a)} has no shift to {'give' if p.kind == SWAP else 'hand over'} there.")
    if p.kind == SWAP and not p.give_b:
        out.refusals.append(f"{_who(p.b)} has no shift to give back there (for a one-way handover use "
                            "`/oncall cover`).")
    for shifts, owner in ((p.give_a, p.a), (p.give_b, p.b)):
        for s in shifts:
            if s.member_id != owner.member_id:
                out.refusals.append(f"The shift {span(s, tz)} is not {_who(owner)}'s (any more).")
            if s.end <= now:
                out.refusals.append(f"The shift {span(s, tz)} has already ended.")
            elif s.start <= now:
                out.refusals.append(f"The shift {span(s, tz)} has already started: only future shifts can move.")
            if s.id in claimed:
                out.refusals.append(f"The shift {span(s, tz)} is already in pending swap request #{claimed[s.id]}: "
                                    "wait for it to be answered, or withdraw it.")
    out.refusals += _double_booked(p, live)
    away = []
    for receiver, gets in ((p.b, p.give_a), (p.a, p.give_b)):
        for s in gets:
            for off in time_off.get(receiver.member_id, ()):
                if off.start < s.end and off.end > s.start:
                    why = f" ({off.reason})" if off.reason else ""
                    away.append(f"{_who(receiver)} is on time off{why} during {span(s, tz)}, which they would receive.")
                    break
    if away:
        if p.forced and may_force:
            by = f" by <@{actor}>" if actor else ""
            out.warnings += [f"Forced{by}: {a}" for a in away]
        else:
            out.refusals += away
            out.forceable = may_force and len(out.refusals) == len(away)
    return out


def _double_booked(p: Proposal, live: Sequence[ShiftRef]) -> list[str]:
    """Nobody may hold two overlapping shifts (e.g. primary and secondary) after the move."""
    moving = {s.id for s in p.shifts}
    problems = []
    for receiver, gets in ((p.b, p.give_a), (p.a, p.give_b)):
        keeps = [s for s in live if s.member_id == receiver.member_id and s.id not in moving]
        for s in gets:
            clash = next((k for k in keeps if k.start < s.end and k.end > s.start), None)
            if clash is not None:
                problems.append(f"{_who(receiver)} would be on call twice at once: {span(s, p.time_zone)} "
                                f"overlaps their {clash.role} shift {span(clash, p.time_zone)}.")
    return problems


def _who(party: Party) -> str:
    return f"<@{party.slack_user_id}>" if party.slack_user_id else (party.name or "that person")


# ---------------------------------------------------------------- words


def duration(delta: timedelta) -> str:
    """`7 days`, `12 h`, `1 day 12 h`, `45 min`."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days > 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if mins:
        parts.append(f"{mins} min")
    return " ".join(parts) or "0 min"


def local(dt: datetime, tz: str) -> str:
    """`Mon 7 Dec 09:00` in the schedule's time zone."""
    t = dt.astimezone(ZoneInfo(tz))
    return f"{t:%a} {t.day} {t:%b} {t:%H:%M}"


def span(s: ShiftRef, tz: str) -> str:
    """`Mon 7 Dec 09:00 → Mon 14 Dec 09:00 (7 days)`; the role when it is not primary."""
    role = f" {s.role}" if s.role != "primary" else ""
    return f"{local(s.start, tz)} → {local(s.end, tz)} ({duration(s.end - s.start)}){role}"


def zone_name(tz: str, at: datetime) -> str:
    """The zone's abbreviation at `at` (CET, CEST, UTC …)."""
    return at.astimezone(ZoneInfo(tz)).tzname() or tz
