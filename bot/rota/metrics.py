"""Quality metrics of a final calendar, shared by the tests, the fairness report and the benchmark.

Everything is computed from what would page (the shifts), never from how they were produced, so
every method in the benchmark is scored by the same code.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .model import Member, Shift, SlotKind, TimeOff, Window
from .pattern import ShiftPattern, kind_of, slots


def _h(seconds: float) -> float:
    return seconds / 3600


def _union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _measure(intervals: Iterable[tuple[datetime, datetime]]) -> float:
    return sum((e - s).total_seconds() for s, e in intervals)


def _intersect(a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]) -> float:
    total, i, j = 0.0, 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            total += (hi - lo).total_seconds()
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def gini(values: Sequence[float]) -> float:
    """Gini coefficient (0 = equal, → 1 = one person does everything)."""
    n = len(values)
    total = sum(values)
    if n == 0 or total <= 0:
        return 0.0
    diff = sum(abs(x - y) for x in values for y in values)
    return diff / (2 * n * total)


def grafana_score(shifts: Sequence[Shift], window: Window, roles: int = 1) -> int:
    """Grafana OnCall-style 0–100 score: mean of coverage fraction and pairwise balance.

    Balance is the mean over pairs of people *who appear* of min(hours)/max(hours), so it is blind
    to people who never serve and to time off. For comparability only; never optimise for it.
    """
    span = (window.end - window.start).total_seconds() * max(roles, 1)
    if span <= 0 or not shifts:
        return 0
    by_role: dict[str, list] = {}
    for s in shifts:
        by_role.setdefault(s.role, []).append((max(s.start, window.start), min(s.end, window.end)))
    covered = sum(_measure(_union([iv for iv in v if iv[0] < iv[1]])) for v in by_role.values())
    good = min(covered / span, 1.0)
    per: dict[str, float] = {}
    for s in shifts:
        lo, hi = max(s.start, window.start), min(s.end, window.end)
        if lo < hi:
            per[s.member_id] = per.get(s.member_id, 0.0) + (hi - lo).total_seconds()
    vals = list(per.values())
    if len(vals) <= 1:
        balance = 1.0
    else:
        pairs = list(itertools.combinations(vals, 2))
        balance = sum(min(a, b) / max(a, b) for a, b in pairs) / len(pairs)
    return round(100 * (good + balance) / 2)


@dataclass(frozen=True)
class Quality:
    """Hours are floats; ranges are max − min over every member of the window (zero-shift people too).

    `cumulative_range` is over (history + window hours − fair target), where the target splits every
    slot equally among the people who were members then; weekend/holiday ranges do the same with
    counts.
    """

    gap_hours: float
    overlap_hours: float
    time_off_violation_hours: float
    hours_range: float
    hours_std: float
    hours_gini: float
    cumulative_range: float
    weekend_range: float
    holiday_range: float
    back_to_back: int
    min_rest_hours: float | None
    rest_violations: int
    score: int

    def key(self) -> tuple[float, ...]:
        """The benchmark's lexicographic quality key (lower is better)."""
        return (
            round(self.gap_hours + self.overlap_hours, 3),
            round(self.time_off_violation_hours, 3),
            self.back_to_back,
            self.rest_violations,
            round(self.cumulative_range, 3),
            round(self.weekend_range, 3),
            round(self.holiday_range, 3),
        )


def _member_at(m: Member, t: datetime) -> bool:
    return (m.joined is None or m.joined <= t) and (m.left is None or t < m.left)


def scored_members(members: Sequence[Member], window: Window) -> list[Member]:
    """Members at some point of the window: the population every range is taken over."""
    return [
        m
        for m in members
        if (m.joined is None or m.joined < window.end) and (m.left is None or m.left > window.start)
    ]


def targets(
    pattern: ShiftPattern, window: Window, members: Sequence[Member], history: Sequence[Shift]
) -> tuple[dict[str, float], dict[SlotKind, dict[str, float]]]:
    """Fair hours and weekend/holiday counts per member over history + window slots."""
    hours = {m.id: 0.0 for m in members}
    counts = {k: {m.id: 0.0 for m in members} for k in (SlotKind.WEEKEND, SlotKind.HOLIDAY)}
    items = [(h.start, h.end) for h in history if h.start < window.start]
    items += [(s.start, s.end) for s in slots(pattern, window)]
    for start, end in items:
        active = [m.id for m in members if _member_at(m, start)]
        if not active:
            continue
        kinds = kind_of(pattern, start).balanced
        for i in active:
            hours[i] += _h((end - start).total_seconds()) / len(active)
            for kind in kinds:
                counts[kind][i] += 1 / len(active)
    return hours, counts


def evaluate(
    shifts: Sequence[Shift],
    *,
    pattern: ShiftPattern,
    window: Window,
    members: Sequence[Member],
    history: Sequence[Shift] = (),
    time_off: Sequence[TimeOff] = (),
) -> Quality:
    """Score the calendar `shifts` (for `window`) with the benchmark's metrics."""
    history = [h for h in history if h.start < window.start]
    inside = [s for s in shifts if s.start < window.end and s.end > window.start]
    people = scored_members(members, window)
    ids = [m.id for m in people]

    # coverage: gaps and double staffing per role
    gap = overlap = 0.0
    required = slots(pattern, window)
    for role in pattern.roles:
        need = _union(
            (max(s.start, window.start), min(s.end, window.end)) for s in required if s.role == role
        )
        mine = [(max(s.start, window.start), min(s.end, window.end)) for s in inside if s.role == role]
        have = _union(mine)
        gap += _measure(need) - _intersect(need, have)
        overlap += _measure(mine) - _measure(have)

    # time off
    off: dict[str, list] = {}
    for t in time_off:
        off.setdefault(t.member_id, []).append((t.start, t.end))
    viol = 0.0
    for s in inside:
        for a, b in off.get(s.member_id, ()):
            lo, hi = max(a, s.start, window.start), min(b, s.end, window.end)
            if lo < hi:
                viol += (hi - lo).total_seconds()

    # load
    window_hours = dict.fromkeys(ids, 0.0)
    for s in inside:
        if s.member_id in window_hours:
            lo, hi = max(s.start, window.start), min(s.end, window.end)
            window_hours[s.member_id] += _h((hi - lo).total_seconds())
    vals = list(window_hours.values())
    mean = sum(vals) / len(vals) if vals else 0.0
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals)) if vals else 0.0

    fair_hours, fair_counts = targets(pattern, window, people, history)
    cum = {i: -fair_hours[i] for i in ids}
    cnt = {k: {i: -fair_counts[k][i] for i in ids} for k in fair_counts}
    for s in [*history, *inside]:
        if s.member_id not in cum:
            continue
        cum[s.member_id] += s.hours
        for kind in kind_of(pattern, s.start).balanced:
            cnt[kind][s.member_id] += 1

    def spread(d: dict[str, float]) -> float:
        return max(d.values()) - min(d.values()) if d else 0.0

    # rest: consecutive shifts of one person (any role) where the later one is in the window
    rest = pattern.rest.total_seconds()
    b2b = rest_viol = 0
    min_rest: float | None = None
    per: dict[str, list[Shift]] = {}
    for s in [*history, *inside]:
        per.setdefault(s.member_id, []).append(s)
    for lst in per.values():
        lst.sort(key=lambda s: (s.start, s.end))
        for a, b in itertools.pairwise(lst):
            if b.start < window.start:
                continue
            g = (b.start - a.end).total_seconds()
            b2b += g <= 0
            rest_viol += g < rest
            min_rest = _h(g) if min_rest is None else min(min_rest, _h(g))

    return Quality(
        gap_hours=_h(gap),
        overlap_hours=_h(overlap),
        time_off_violation_hours=_h(viol),
        hours_range=max(vals) - min(vals) if vals else 0.0,
        hours_std=std,
        hours_gini=gini(vals),
        cumulative_range=spread(cum),
        weekend_range=spread(cnt[SlotKind.WEEKEND]),
        holiday_range=spread(cnt[SlotKind.HOLIDAY]),
        back_to_back=b2b,
        min_rest_hours=min_rest,
        rest_violations=rest_viol,
        score=grafana_score(inside, window, len(pattern.roles)),
    )
