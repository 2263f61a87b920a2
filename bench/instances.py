"""Seeded benchmark instances (issue 4): teams of 5/10/20/50, three patterns, 91 days."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rota.model import Member, Shift, SlotKind, TimeOff, Window
from bot.rota.pattern import ShiftPattern, kind_of, nominal_member, slots

ZONE = "Europe/Berlin"  # the window crosses the spring DST change
START = date(2025, 2, 3)  # a Monday
DAYS = 91
HOLIDAYS = frozenset({date(2025, 4, 18), date(2025, 4, 21)})  # Good Friday, Easter Monday
PATTERNS = {
    "daily": timedelta(days=1),
    "12h": timedelta(hours=12),
    "weekly": timedelta(days=7),
}


@dataclass(frozen=True)
class Instance:
    name: str
    pattern: ShiftPattern
    members: tuple[Member, ...]
    history: tuple[Shift, ...]
    time_off: tuple[TimeOff, ...]
    window: Window

    def day(self, n: int) -> datetime:
        """Local handoff time on day n of the window, in UTC."""
        z = ZoneInfo(self.pattern.time_zone)
        return datetime.combine(START + timedelta(days=n), self.pattern.handoff, z).astimezone(UTC)


def _local_midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), ZoneInfo(ZONE)).astimezone(UTC)


def make(team: int, kind: str, with_history: bool, seed: int = 7, preferences: bool = False) -> Instance:
    """`preferences`: the history follows personal preferences instead of the rotation (some took
    most weekends, others hardly any), which leaves weekend and hours debts pulling apart."""
    rng = random.Random(f"{seed}-{team}-{kind}-{with_history}" + ("-pref" if preferences else ""))
    ids = [f"u{k:02d}" for k in range(team)]
    pattern = ShiftPattern(
        time_zone=ZONE,
        handoff=time(9),
        length=PATTERNS[kind],
        anchor=START,
        holidays=HOLIDAYS,
        order=tuple(ids),
    )
    w_start = datetime.combine(START, time(9), ZoneInfo(ZONE)).astimezone(UTC)
    window = Window(
        w_start, datetime.combine(START + timedelta(days=DAYS), time(9), ZoneInfo(ZONE)).astimezone(UTC)
    )
    members = [Member(i, joined=w_start - timedelta(days=400)) for i in ids]
    history: list[Shift] = []
    if with_history:
        # the last person joined 30 days ago; 90 days of round-robin with ~15% random covers
        members[-1] = Member(ids[-1], joined=w_start - timedelta(days=30))
        h_window = Window(w_start - timedelta(days=90), w_start)
        h_pattern = ShiftPattern(
            time_zone=ZONE, handoff=time(9), length=PATTERNS[kind], anchor=START, order=tuple(ids[:-1])
        )
        bias = {i: rng.random() for i in ids} if preferences else {}
        for s in slots(h_pattern, h_window):
            who = nominal_member(h_pattern, s)
            present = [m.id for m in members if m.joined <= s.start]
            if preferences:
                weekend = kind_of(pattern, s.start) is not SlotKind.WEEKDAY
                who = rng.choices(present, [(bias[i] if weekend else 1 - bias[i]) + 0.05 for i in present])[0]
            elif rng.random() < 0.15 or (s.start >= members[-1].joined and rng.random() < 1 / team):
                who = rng.choice(present)
            history.append(Shift(s.role, s.start, s.end, who, kind=kind_of(pattern, s.start)))
    time_off: list[TimeOff] = []
    for i in ids:
        if rng.random() < 0.6:
            n = rng.randint(3, 10)
            d = START + timedelta(days=rng.randint(0, DAYS - n))
            time_off.append(TimeOff(i, _local_midnight(d), _local_midnight(d + timedelta(days=n)), "leave"))
        if rng.random() < 0.2:
            n = rng.randint(1, 5)
            d = START + timedelta(days=rng.randint(0, DAYS - n))
            time_off.append(TimeOff(i, _local_midnight(d), _local_midnight(d + timedelta(days=n)), "leave"))
    name = f"{kind}/{team}{'/hist' if with_history else ''}{'/pref' if preferences else ''}"
    return Instance(name, pattern, tuple(members), tuple(history), tuple(time_off), window)
