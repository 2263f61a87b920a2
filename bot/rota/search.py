"""The local search over a `Planner`: first-improvement reassign, swap and chain moves on the
lexicographic key (see `generate`), within a warm re-plan's collateral budget.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import BALANCED_KINDS
from .planner import SCALE, Planner, _Cell


def improve(p: Planner, *, budget: int | None = None, max_passes: int = 60) -> None:
    """First-improvement local search over reassign and swap moves (see module doc)."""
    state = {"budget": budget}
    full = (*p.key(), p.sumsq())
    for _ in range(max_passes):
        improved = False
        for move in _moves(p):
            new = _try(p, move, full, state)
            if new is not None:
                full = new
                improved = True
        if not improved:
            break

def _cost(cells: Sequence[_Cell], new_holders: Sequence[str]) -> int:
    """How many kept (warm-start) slots this move would newly change (negative: restores)."""
    extra = 0
    for c, h in zip(cells, new_holders, strict=True):
        if c.preferred is None:
            continue
        was, now = c.holder == c.preferred, h == c.preferred
        extra += int(was and not now) - int(now and not was)
    return extra

def _try(p: Planner, move: tuple, full: tuple, state: dict) -> tuple | None:
    cells, holders = move
    for c, h in zip(cells, holders, strict=True):
        if h is None or c.holder is None or h == c.holder:
            return None
    cost = _cost(cells, holders)
    if state["budget"] is not None and cost > 0 and state["budget"] < cost:
        return None
    old = [c.holder for c in cells]
    old_off = [p.off_overlap(h, c.s, c.e) for c, h in zip(cells, old, strict=True)]
    for c in cells:
        p.assign(c, None)
    ok = True
    for c, h, o in zip(cells, holders, old_off, strict=True):
        if not p.eligible(h, c) or p.off_overlap(h, c.s, c.e) > o:
            ok = False
            break
        p.assign(c, h)
    new = (*p.key(), p.sumsq()) if ok else None
    strict_gain = new is not None and new[:-1] < full[:-1]
    accept = new is not None and (
        strict_gain if (state["budget"] is not None and cost > 0) else new < full
    )
    if not accept:
        for c in cells:
            p.assign(c, None)
        for c, h in zip(cells, old, strict=True):
            p.assign(c, h)
        return None
    if state["budget"] is not None:
        state["budget"] -= cost
    return new

def _moves(p: Planner):
    """Candidate moves, generated lazily from the current state (deterministic order)."""
    # 1. cells creating back-to-back / rest / time-off problems: reassign to anyone
    for c in p.cells:
        h = c.holder
        if h is None or not p.movable(c):
            continue
        b2b, viol = p.neighbours_without(h, c)
        if b2b or viol or p.off_overlap(h, c.s, c.e):
            for j in p.ids:
                if j != c.holder:
                    yield ([c], [j])
    # 2. from the most loaded to the least loaded (hours, then weekend/holiday counts)
    by_dev = sorted(p.scored, key=lambda i: (p.load[i] - p.target[i], i))
    for a in reversed(by_dev[-8:]):
        mine = [c for c in p.cells if c.holder == a and p.movable(c)]
        for b in by_dev[:8]:
            if b == a:
                continue
            for c in mine:
                if c.holder == a:
                    yield ([c], [b])
    for kind in BALANCED_KINDS:
        by = sorted(p.scored, key=lambda i, k=kind: (p._kind_dev(k, i), i))
        for a in reversed(by[-5:]):
            theirs = [c for c in p.cells if c.holder == a and kind in c.slot.kind.balanced and p.movable(c)]
            for b in by[:5]:
                # moving one count from a to b helps only when they are more than one apart
                if b == a or p._kind_dev(kind, a) - p._kind_dev(kind, b) <= SCALE:
                    continue
                other = [
                    c for c in p.cells if c.holder == b and kind not in c.slot.kind.balanced and p.movable(c)
                ]
                for c in theirs:
                    if c.holder != a or not p.eligible(b, c):  # b already holds something then
                        continue
                    yield ([c], [b])
                    for d in other:
                        if c.holder == a and d.holder == b and c.e - c.s == d.e - d.s and p.eligible(a, d):
                            yield ([c, d], [b, a])

    yield from _chains(p)

def _chains(p: Planner):
    """Chains through a third person, for the weekend/holiday ranges: a's weekend (or holiday)
    goes to b, one of the lowest on that count who has hours to spare, and a takes a plain
    shift of the same length from h, one of the most loaded; a's load stays as it was."""
    load = {i: p.load[i] - p.target[i] for i in p.scored}
    top, bottom = max(load.values(), default=0), min(load.values(), default=0)
    loaded = sorted(p.scored, key=lambda i: (-load[i], i))[:5]
    for kind in BALANCED_KINDS:
        dev = {i: p._kind_dev(kind, i) for i in p.scored}
        lowest = sorted(p.scored, key=lambda i: (dev[i], i))[:5]
        theirs = sorted((c for c in p.cells if kind in c.slot.kind.balanced and c.holder in dev
                         and p.movable(c)), key=lambda c: (-dev[c.holder], c.s))
        for b in lowest:
            # a's weekend straight to b when both stay inside the load range (b may take over
            # the top spot a leaves)
            for c in theirs:
                a, length = c.holder, c.e - c.s
                if (a != b and dev[a] - dev[b] > SCALE and load[b] + length <= top
                        and load[a] - length >= bottom and p.eligible(b, c)):
                    yield ([c], [b])
            for h in loaded:
                plain = [d for d in p.cells
                         if d.holder == h and kind not in d.slot.kind.balanced and p.movable(d)]
                for c in theirs:
                    a, length = c.holder, c.e - c.s
                    # b gains and h loses one shift: neither may leave the current load range
                    if (a in (b, h) or dev[a] - dev[b] <= SCALE or load[b] + length > top
                            or load[h] - length < bottom or not p.eligible(b, c)):
                        continue
                    for d in plain:
                        if c.holder == a and d.holder == h and d.e - d.s == length and p.eligible(a, d):
                            yield ([c, d], [b, a])
