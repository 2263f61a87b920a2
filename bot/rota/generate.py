"""Assignment generation: fill a window of slots fairly, deterministically and stably.

Algorithm (all orders are explicit, so identical input gives identical output):

1. Cut the window into slots (`pattern.slots`); parts covered by `fixed` shifts of the same role
   are left alone (fixed shifts are never changed).
2. With a `previous` plan (warm start), every slot whose previous holder is still feasible keeps
   them. Only slots that must change are open.
3. Open slots are filled in time order by a greedy choice: feasible people first (member for the
   whole slot, not on time off, not holding another role at the same time), then no back-to-back,
   then minimum rest, then the largest remaining fair-share need of the slot's type (weekend and
   holiday counts first for those slots, then hours), then the imported rotation order.
4. A deterministic local search (reassign one slot, or swap two) improves the lexicographic key
   (time-off violations, back-to-back pairs, rest violations, cumulative load range, weekend range,
   holiday range, then the spread of deviations as a tie-breaker). With a warm start, moves that
   touch a kept slot are allowed only while they improve the key itself and at most
   `collateral_budget` kept slots change.

Fair share: every slot's hours (history and window) are split equally among the people who were
members when it started, so shares follow membership time, and people on time off keep accruing
their share and repay it later.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .model import BALANCED_KINDS, Member, Shift, Slot, SlotKind, TimeOff, Window, shift_sort_key
from .pattern import ShiftPattern, kind_of, nominal_member, slots

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

    def improve(self, *, budget: int | None = None, max_passes: int = 60) -> None:
        """First-improvement local search over reassign and swap moves (see module doc)."""
        state = {"budget": budget}
        full = (*self.key(), self.sumsq())
        for _ in range(max_passes):
            improved = False
            for move in self._moves():
                new = self._try(move, full, state)
                if new is not None:
                    full = new
                    improved = True
            if not improved:
                break

    def _cost(self, cells: Sequence[_Cell], new_holders: Sequence[str]) -> int:
        """How many kept (warm-start) slots this move would newly change (negative: restores)."""
        extra = 0
        for c, h in zip(cells, new_holders, strict=True):
            if c.preferred is None:
                continue
            was, now = c.holder == c.preferred, h == c.preferred
            extra += int(was and not now) - int(now and not was)
        return extra

    def _try(self, move: tuple, full: tuple, state: dict) -> tuple | None:
        cells, holders = move
        for c, h in zip(cells, holders, strict=True):
            if h is None or c.holder is None or h == c.holder:
                return None
        cost = self._cost(cells, holders)
        if state["budget"] is not None and cost > 0 and state["budget"] < cost:
            return None
        old = [c.holder for c in cells]
        old_off = [self.off_overlap(h, c.s, c.e) for c, h in zip(cells, old, strict=True)]
        for c in cells:
            self.assign(c, None)
        ok = True
        for c, h, o in zip(cells, holders, old_off, strict=True):
            if not self.eligible(h, c) or self.off_overlap(h, c.s, c.e) > o:
                ok = False
                break
            self.assign(c, h)
        new = (*self.key(), self.sumsq()) if ok else None
        strict_gain = new is not None and new[:-1] < full[:-1]
        accept = new is not None and (
            strict_gain if (state["budget"] is not None and cost > 0) else new < full
        )
        if not accept:
            for c in cells:
                self.assign(c, None)
            for c, h in zip(cells, old, strict=True):
                self.assign(c, h)
            return None
        if state["budget"] is not None:
            state["budget"] -= cost
        return new

    def _moves(self):
        """Candidate moves, generated lazily from the current state (deterministic order)."""
        # 1. cells creating back-to-back / rest / time-off problems: reassign to anyone
        for c in self.cells:
            h = c.holder
            if h is None or not self.movable(c):
                continue
            b2b, viol = self.neighbours_without(h, c)
            if b2b or viol or self.off_overlap(h, c.s, c.e):
                for j in self.ids:
                    if j != c.holder:
                        yield ([c], [j])
        # 2. from the most loaded to the least loaded (hours, then weekend/holiday counts)
        by_dev = sorted(self.scored, key=lambda i: (self.load[i] - self.target[i], i))
        for a in reversed(by_dev[-8:]):
            mine = [c for c in self.cells if c.holder == a and self.movable(c)]
            for b in by_dev[:8]:
                if b == a:
                    continue
                for c in mine:
                    if c.holder == a:
                        yield ([c], [b])
        for kind in BALANCED_KINDS:
            by = sorted(self.scored, key=lambda i, k=kind: (self._kind_dev(k, i), i))
            for a in reversed(by[-5:]):
                theirs = [c for c in self.cells if c.holder == a and kind in c.slot.kind.balanced and self.movable(c)]
                for b in by[:5]:
                    # moving one count from a to b helps only when they are more than one apart
                    if b == a or self._kind_dev(kind, a) - self._kind_dev(kind, b) <= SCALE:
                        continue
                    other = [
                        c for c in self.cells if c.holder == b and kind not in c.slot.kind.balanced and self.movable(c)
                    ]
                    for c in theirs:
                        if c.holder != a or not self.eligible(b, c):  # b already holds something then
                            continue
                        yield ([c], [b])
                        for d in other:
                            if c.holder == a and d.holder == b and c.e - c.s == d.e - d.s and self.eligible(a, d):
                                yield ([c, d], [b, a])

        yield from self._chains()

    def _chains(self):
        """Chains through a third person, for the weekend/holiday ranges: a's weekend (or holiday)
        goes to b, one of the lowest on that count who has hours to spare, and a takes a plain
        shift of the same length from h, one of the most loaded; a's load stays as it was."""
        load = {i: self.load[i] - self.target[i] for i in self.scored}
        top, bottom = max(load.values(), default=0), min(load.values(), default=0)
        loaded = sorted(self.scored, key=lambda i: (-load[i], i))[:5]
        for kind in BALANCED_KINDS:
            dev = {i: self._kind_dev(kind, i) for i in self.scored}
            lowest = sorted(self.scored, key=lambda i: (dev[i], i))[:5]
            theirs = sorted((c for c in self.cells if kind in c.slot.kind.balanced and c.holder in dev
                             and self.movable(c)), key=lambda c: (-dev[c.holder], c.s))
            for b in lowest:
                # a's weekend straight to b when both stay inside the load range (b may take over
                # the top spot a leaves)
                for c in theirs:
                    a, length = c.holder, c.e - c.s
                    if (a != b and dev[a] - dev[b] > SCALE and load[b] + length <= top
                            and load[a] - length >= bottom and self.eligible(b, c)):
                        yield ([c], [b])
                for h in loaded:
                    plain = [d for d in self.cells
                             if d.holder == h and kind not in d.slot.kind.balanced and self.movable(d)]
                    for c in theirs:
                        a, length = c.holder, c.e - c.s
                        # b gains and h loses one shift: neither may leave the current load range
                        if (a in (b, h) or dev[a] - dev[b] <= SCALE or load[b] + length > top
                                or load[h] - length < bottom or not self.eligible(b, c)):
                            continue
                        for d in plain:
                            if c.holder == a and d.holder == h and d.e - d.s == length and self.eligible(a, d):
                                yield ([c, d], [b, a])

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


def _subtract(slot: Slot, covered: list[tuple[datetime, datetime]]) -> list[Slot]:
    pieces = [(slot.start, slot.end)]
    for a, b in covered:
        nxt = []
        for s, e in pieces:
            if b <= s or e <= a:
                nxt.append((s, e))
                continue
            if s < a:
                nxt.append((s, a))
            if b < e:
                nxt.append((b, e))
        pieces = nxt
    return [Slot(slot.role, s, e, slot.kind) for s, e in pieces if s < e]


def open_slots(pattern: ShiftPattern, window: Window, fixed: Iterable[Shift]) -> list[Slot]:
    """The pattern's slots in `window`, minus whatever `fixed` shifts of the same role cover."""
    by_role: dict[str, list[tuple[datetime, datetime]]] = {}
    for f in fixed:
        by_role.setdefault(f.role, []).append((f.start, f.end))
    out: list[Slot] = []
    for s in slots(pattern, window):
        out.extend(_subtract(s, sorted(by_role.get(s.role, []))))
    return out


def generate(
    pattern: ShiftPattern,
    members: Sequence[Member],
    history: Iterable[Shift] = (),
    time_off: Iterable[TimeOff] = (),
    fixed: Iterable[Shift] = (),
    window: Window | None = None,
    *,
    previous: Iterable[Shift] = (),
    collateral_budget: int = 2,
    improve: bool = True,
) -> list[Shift]:
    """Assign every slot of `window`; returns the plan for the window, fixed shifts included.

    - `history`: shifts actually served before the window (after swaps and covers); shifts that
      start inside the window are ignored here (pass them as `fixed`).
    - `fixed`: shifts never changed (started or exported). To let a replacement path change one,
      leave it out of `fixed` (and pass it in `previous` to keep the rest stable).
    - `previous`: the current plan, used as a warm start: its still-feasible assignments are kept
      and at most `collateral_budget` of them move for fairness. Shifts that change get
      `version + 1`.
    - If nobody can take a slot without time off, the person with the least overlap takes it
      (coverage first); `metrics.evaluate` reports such violations.
    """
    if window is None:
        raise ValueError("window is required")
    fixed = [f for f in fixed if window.overlaps(f.start, f.end)]
    cells = open_slots(pattern, window, fixed)
    planner = Planner(pattern, members, history, time_off, fixed, window, cells)
    prev = {(p.role, _ts(p.start), _ts(p.end)): p for p in previous}
    warm = bool(prev)
    for c in planner.cells:
        p = prev.get((c.slot.role, c.s, c.e))
        if p is None:
            continue
        c.prev = p
        c.preferred = p.member_id
    # keep feasible previous holders first (in time order), then fill the rest
    for c in planner.cells:
        mid = c.preferred
        if mid is None or mid not in planner.members:
            continue
        if planner.eligible(mid, c) and planner.off_overlap(mid, c.s, c.e) == 0:
            planner.assign(c, mid)
    planner.greedy()
    if improve:
        planner.improve(budget=collateral_budget if warm else None)
    return sorted([*fixed, *planner.shifts()], key=shift_sort_key)
