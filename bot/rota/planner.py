"""The planner's state: who holds which open slot, loads and counts against fair targets, the
feasibility and cost of a holder, the lexicographic key, and the greedy step.

Shared by `generate`, `replace_for_time_off` and the local search (`search.py`); not a stable API.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .model import BALANCED_KINDS, Member, Shift, Slot, SlotKind, TimeOff, Window, shift_sort_key
from .pattern import ShiftPattern, kind_of, nominal_member

SCALE = 1_000_000  # fixed-point scale for fractional count targets


def _ts(dt: datetime) -> int:
    return int(dt.timestamp())


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def member_at(m: Member, ts: int) -> bool:
    return (m.joined is None or _ts(m.joined) <= ts) and (m.left is None or ts < _ts(m.left))


@dataclass
class _Cell:
    """One open slot in the planner."""

    slot: Slot
    s: int
    e: int
    holder: str | None = None
    preferred: str | None = None  # holder in the previous plan
    prev: Shift | None = None
    nominal: str | None = None


class Planner:
    """Mutable planning state shared by `generate`, `replace_for_time_off` and the benchmark.

    Not part of the stable API; use the module functions.
    """

    def __init__(
        self,
        pattern: ShiftPattern,
        members: Sequence[Member],
        history: Iterable[Shift],
        time_off: Iterable[TimeOff],
        fixed: Iterable[Shift],
        window: Window,
        cells: Sequence[Slot],
    ) -> None:
        self.pattern = pattern
        self.window = window
        self.rest = int(pattern.rest.total_seconds())
        ws, we = _ts(window.start), _ts(window.end)
        self.members = {m.id: m for m in members}
        self.ids = sorted(self.members)
        order = [i for i in pattern.order if i in self.members]
        order += [m.id for m in members if m.id not in order]
        self.order_pos = {mid: k for k, mid in enumerate(order)}
        self.order = order
        # who counts in ranges: members at some point of the window
        self.scored = [
            i
            for i in self.ids
            if (self.members[i].joined is None or _ts(self.members[i].joined) < we)
            and (self.members[i].left is None or _ts(self.members[i].left) > ws)
        ]
        self.off: dict[str, list[tuple[int, int]]] = {i: [] for i in self.ids}
        for t in time_off:
            if t.member_id in self.off:
                self.off[t.member_id].append((_ts(t.start), _ts(t.end)))
        for v in self.off.values():
            v.sort()
        self.load = dict.fromkeys(self.ids, 0)
        self.target = dict.fromkeys(self.ids, 0.0)
        self.cnt = {k: dict.fromkeys(self.ids, 0) for k in BALANCED_KINDS}
        self.cnt_target = {k: dict.fromkeys(self.ids, 0.0) for k in BALANCED_KINDS}
        self.iv: dict[str, list[tuple[int, int]]] = {i: [] for i in self.ids}
        self.b2b_total = self.viol_total = self.off_total = 0
        self.fixed = sorted((f for f in fixed), key=shift_sort_key)
        # served and fixed shifts count by the kind the pattern gives their start, whatever kind the
        # caller attached (rows read from the database carry none)
        for h in [*(h for h in history if _ts(h.start) < ws), *self.fixed]:
            kind = kind_of(pattern, h.start)
            self._account_target(h.start, h.end, kind)
            if h.member_id in self.members:
                self._add(h.member_id, _ts(h.start), _ts(h.end), kind)
        self.cells = [_Cell(c, _ts(c.start), _ts(c.end)) for c in cells]
        rotation = replace(pattern, order=tuple(order))
        for c in self.cells:
            c.nominal = nominal_member(rotation, c.slot) if order else None
        for c in self.cells:
            self._account_target(c.slot.start, c.slot.end, c.slot.kind)
        self.target = {i: round(v) for i, v in self.target.items()}
        for k in self.cnt_target:
            self.cnt_target[k] = {i: round(v) for i, v in self.cnt_target[k].items()}

    # ---------------------------------------------------------------- accounting

    def _account_target(self, start: datetime, end: datetime, kind: SlotKind) -> None:
        s, e = _ts(start), _ts(end)
        active = [i for i in self.ids if member_at(self.members[i], s)]
        if not active:
            return
        share = (e - s) / len(active)
        for i in active:
            self.target[i] += share
            for k in kind.balanced:
                self.cnt_target[k][i] += SCALE / len(active)

    def _gap(self, gap: int, sign: int) -> None:
        self.b2b_total += sign * (gap <= 0)
        self.viol_total += sign * (gap < self.rest)

    def _splice(self, lst: list[tuple[int, int]], k: int, s: int, e: int, sign: int) -> None:
        """Update the pair totals for inserting (sign=1) / removing (-1) [s, e) at index k."""
        prev = lst[k - 1] if k > 0 else None
        nxt_i = k if sign > 0 else k + 1
        nxt = lst[nxt_i] if nxt_i < len(lst) else None
        if prev and nxt:
            self._gap(nxt[0] - prev[1], -sign)
        if prev:
            self._gap(s - prev[1], sign)
        if nxt:
            self._gap(nxt[0] - e, sign)

    def _add(self, mid: str, s: int, e: int, kind: SlotKind) -> None:
        self.load[mid] += e - s
        for k in kind.balanced:
            self.cnt[k][mid] += 1
        lst = self.iv[mid]
        k = bisect.bisect_left(lst, (s, e))
        self._splice(lst, k, s, e, 1)
        lst.insert(k, (s, e))

    def _remove(self, mid: str, s: int, e: int, kind: SlotKind) -> None:
        self.load[mid] -= e - s
        for k in kind.balanced:
            self.cnt[k][mid] -= 1
        lst = self.iv[mid]
        k = bisect.bisect_left(lst, (s, e))
        self._splice(lst, k, s, e, -1)
        del lst[k]

    def assign(self, cell: _Cell, mid: str | None) -> None:
        if cell.holder is not None:
            self._remove(cell.holder, cell.s, cell.e, cell.slot.kind)
            self.off_total -= self.off_overlap(cell.holder, cell.s, cell.e)
        cell.holder = mid
        if mid is not None:
            self._add(mid, cell.s, cell.e, cell.slot.kind)
            self.off_total += self.off_overlap(mid, cell.s, cell.e)

    # ---------------------------------------------------------------- feasibility and local costs

    def eligible(self, mid: str, c: _Cell) -> bool:
        """Member for the whole slot and not holding anything overlapping it (another role)."""
        m = self.members[mid]
        if not m.active_during(c.slot.start, c.slot.end):
            return False
        lst = self.iv[mid]
        k = bisect.bisect_left(lst, (c.s, c.e))
        if k < len(lst) and lst[k][0] < c.e:
            return False
        return not (k > 0 and lst[k - 1][1] > c.s)

    def off_overlap(self, mid: str, s: int, e: int) -> int:
        return sum(max(0, min(e, b) - max(s, a)) for a, b in self.off[mid] if a < e and s < b)

    def neighbours(self, mid: str, s: int, e: int) -> tuple[int, int]:
        """(back-to-back, rest violations) that holding [s, e) would create with mid's other shifts."""
        lst = self.iv[mid]
        k = bisect.bisect_left(lst, (s, e))
        b2b = viol = 0
        if k > 0:
            gap = s - lst[k - 1][1]
            b2b += gap <= 0
            viol += gap < self.rest
        if k < len(lst):
            gap = lst[k][0] - e
            b2b += gap <= 0
            viol += gap < self.rest
        return b2b, viol

    def pair_counts(self, mid: str) -> tuple[int, int]:
        lst = self.iv[mid]
        b2b = viol = 0
        for (_, e1), (s2, _) in zip(lst, lst[1:], strict=False):
            gap = s2 - e1
            b2b += gap <= 0
            viol += gap < self.rest
        return b2b, viol

    def nominal_distance(self, mid: str, c: _Cell) -> int:
        n = len(self.order)
        if c.nominal is None:
            return self.order_pos.get(mid, 0)
        return (self.order_pos[mid] - self.order_pos[c.nominal]) % n

    def rank(self, mid: str, c: _Cell) -> tuple:
        type_need = sum(self.cnt_target[k][mid] - self.cnt[k][mid] * SCALE for k in c.slot.kind.balanced)
        b2b, viol = self.neighbours(mid, c.s, c.e)
        need = self.target[mid] - self.load[mid]
        return (
            self.off_overlap(mid, c.s, c.e),
            b2b,
            viol,
            -type_need,
            -need,
            self.nominal_distance(mid, c),
            mid,
        )

    def best(self, c: _Cell, exclude: str | None = None) -> str | None:
        """The best eligible person for `c`: fewest hard-rule costs (time off, back-to-back, rest),
        then hours need; weekend/holiday need decides only among the people whose hours need is
        within one slot of the neediest, so a weekend never goes to someone already over on hours."""
        options = [i for i in self.ids if i != exclude and self.eligible(i, c)]
        if not options:
            return None
        ranked = {i: self.rank(i, c) for i in options}
        hard = min(r[:3] for r in ranked.values())
        tier = [i for i in options if ranked[i][:3] == hard]
        if c.slot.kind.balanced:
            most = max(self.target[i] - self.load[i] for i in tier)
            tier = [i for i in tier if self.target[i] - self.load[i] > most - (c.e - c.s)]
        return min(tier, key=lambda i: ranked[i])

    # ---------------------------------------------------------------- objective

    def key(self) -> tuple:
        """(time-off seconds, back-to-back, rest violations, load range, weekend range, holiday range);
        pair counts include history pairs, which are constant. A rest violation outranks any load
        range, so no move (nor a warm re-plan's collateral budget) trades rest for balance."""
        load, load_ends, wkd, wkd_ends, hol, hol_ends = self.spread()
        return (self.off_total, self.b2b_total, self.viol_total, load, wkd, hol, wkd_ends, hol_ends, load_ends)

    def spread(self) -> tuple[int, ...]:
        """(load range, people at its ends, weekend range, people at its ends, holiday range, people
        at its ends). The counts let the search leave a plateau where several people share the
        highest or lowest load: each move that takes one of them off the end is progress."""
        if not self.scored:
            return (0,) * 6
        out: list[int] = []
        devs = [self.load[i] - self.target[i] for i in self.scored]
        out += _range_and_ends(devs, 3600)
        for k in BALANCED_KINDS:
            out += _range_and_ends([self.cnt[k][i] * SCALE - self.cnt_target[k][i] for i in self.scored], SCALE // 100)
        return tuple(out)

    def sumsq(self) -> int:
        total = 0
        for i in self.scored:
            d = (self.load[i] - self.target[i]) // 60
            total += d * d
            for k in BALANCED_KINDS:
                w = (self.cnt[k][i] * SCALE - self.cnt_target[k][i]) // 1000
                total += w * w
        return total

    # ---------------------------------------------------------------- search

    def greedy(self) -> None:
        for c in self.cells:
            if c.holder is None:
                self.assign(c, self.best(c))

    def _kind_dev(self, kind: SlotKind, mid: str) -> float:
        return self.cnt[kind][mid] * SCALE - self.cnt_target[kind][mid]

    def movable(self, c: _Cell) -> bool:
        return True

    def neighbours_without(self, mid: str, c: _Cell) -> tuple[int, int]:
        self._remove(mid, c.s, c.e, c.slot.kind)
        try:
            return self.neighbours(mid, c.s, c.e)
        finally:
            self._add(mid, c.s, c.e, c.slot.kind)

    # ---------------------------------------------------------------- output

    def shifts(self) -> list[Shift]:
        out: list[Shift] = []
        for c in self.cells:
            if c.holder is None:
                continue
            if c.prev is not None:
                if c.prev.member_id == c.holder:
                    out.append(replace(c.prev, kind=c.slot.kind))
                else:
                    out.append(
                        Shift(
                            c.slot.role, c.slot.start, c.slot.end, c.holder, c.prev.version + 1, c.slot.kind
                        )
                    )
            else:
                out.append(Shift(c.slot.role, c.slot.start, c.slot.end, c.holder, 1, c.slot.kind))
        return out


def _range_and_ends(devs: Sequence[float], tolerance: int) -> tuple[int, int]:
    hi, lo = max(devs), min(devs)
    if hi - lo <= tolerance:
        return (round(hi - lo), 0)
    return (round(hi - lo), sum(d >= hi - tolerance for d in devs) + sum(d <= lo + tolerance for d in devs))
