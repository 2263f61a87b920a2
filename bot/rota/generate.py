"""Assignment generation: fill a window of slots fairly, deterministically and stably.

Algorithm (all orders are explicit, so identical input gives identical output):

1. Cut the window into slots (`pattern.slots`); parts covered by `fixed` shifts of the same role
   are left alone (fixed shifts are never changed).
2. With a `previous` plan (warm start), every slot whose previous holder is still feasible keeps
   them. Only slots that must change are open.
3. Open slots are filled in time order by a greedy choice (`planner.Planner.best`): feasible
   people first (member for the whole slot, not on time off, not holding another role at the same
   time), then no back-to-back, then minimum rest, then the largest hours need; a weekend or
   holiday slot goes to the one with the largest need of its kind among those within one slot of
   the largest hours need; then the imported rotation order.
4. A deterministic local search (`search.improve`: reassign one slot, swap two, or move a weekend
   or holiday through a third person) improves the lexicographic key (time-off violations,
   back-to-back pairs, rest violations, cumulative load range, weekend range, holiday range, then
   how many people sit at the ends of each range, then the spread of deviations as a tie-breaker).
   With a warm start, moves that touch a kept slot are allowed only while they improve the key
   itself and at most `collateral_budget` kept slots change.

Fair share: every slot's hours (history and window) are split equally among the people who were
members when it started, so shares follow membership time, and people on time off keep accruing
their share and repay it later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from .model import Member, Shift, Slot, TimeOff, Window, shift_sort_key
from .pattern import ShiftPattern, slots
from .planner import Planner, _ts
from .search import improve as local_search

__all__ = ["Planner", "generate", "open_slots"]


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
        local_search(planner, budget=collateral_budget if warm else None)
    return sorted([*fixed, *planner.shifts()], key=shift_sort_key)
