"""Exact reference: the same model solved by OR-Tools CP-SAT (benchmark-only optional extra).

Objective: the benchmark's lexicographic key, optimised stage by stage (back-to-back, cumulative
load range in minutes, weekend range ×100, holiday range ×100; rest violations equal back-to-back
pairs for whole-turn patterns). Warm-started from a plan (solution hint), 1 worker. With
`previous`, a stability stage (number of changed shifts) comes right after back-to-back, as a
re-plan would use. `optimal` is True only when every stage was proved optimal in the time limit.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.rota.metrics import targets
from bot.rota.model import Shift, SlotKind
from bot.rota.pattern import kind_of, slots

from .instances import Instance


@dataclass(frozen=True)
class Solved:
    shifts: list[Shift]
    seconds: float
    optimal: bool


def available() -> bool:
    try:
        import ortools.sat.python.cp_model  # noqa: F401
    except ImportError:
        return False
    return True


def solve(
    inst: Instance,
    hint: Sequence[Shift],
    *,
    time_limit: float = 10.0,
    fixed: Sequence[Shift] = (),
    previous: Sequence[Shift] = (),
) -> Solved:
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    pattern, window = inst.pattern, inst.window
    assert len(pattern.roles) == 1, "benchmark model is single-role"
    cells = slots(pattern, window)
    fixed_by_start = {f.start: f for f in fixed}
    members = [m for m in inst.members if (m.left is None or m.left > window.start)]
    ids = [m.id for m in members]
    fair_h, fair_c = targets(pattern, window, members, inst.history)
    model = cp_model.CpModel()
    x: dict[tuple[int, str], cp_model.IntVar] = {}
    for c, s in enumerate(cells):
        f = fixed_by_start.get(s.start)
        cands = [m.id for m in members if m.active_during(s.start, s.end)]
        free = [
            i
            for i in cands
            if not any(t.member_id == i and t.start < s.end and s.start < t.end for t in inst.time_off)
        ]
        if f is not None:
            free = [f.member_id]
        for i in free or cands:
            x[c, i] = model.new_bool_var(f"x{c}_{i}")
        model.add_exactly_one([x[c, i] for i in free or cands])
    # back-to-back (= rest violations for whole-turn patterns)
    b2b = []
    aux: list = []  # (auxiliary variable, function of the x values giving its hinted value)
    last_hist = {}
    for h in inst.history:
        if h.member_id not in last_hist or h.end > last_hist[h.member_id]:
            last_hist[h.member_id] = h.end
    for i in ids:
        if last_hist.get(i) == cells[0].start and (0, i) in x:
            b2b.append(x[0, i])
        for c in range(len(cells) - 1):
            if (c, i) in x and (c + 1, i) in x:
                v = model.new_bool_var("")
                model.add(v >= x[c, i] + x[c + 1, i] - 1)
                b2b.append(v)
                aux.append((v, lambda val, a=x[c, i], b=x[c + 1, i]: val[a] * val[b]))
    hist_min = {i: 0 for i in ids}
    hist_cnt = {k: dict.fromkeys(ids, 0) for k in (SlotKind.WEEKEND, SlotKind.HOLIDAY)}
    for h in inst.history:
        if h.member_id in hist_min and h.start < window.start:
            hist_min[h.member_id] += round(h.hours * 60)
            for k in kind_of(pattern, h.start).balanced:
                hist_cnt[k][h.member_id] += 1
    kinds = [kind_of(pattern, s.start) for s in cells]

    def spread(terms: dict[str, tuple[int, list]], bound: int) -> cp_model.IntVar:
        """max − min over people of const + Σ coef·x (terms: id -> (const, [(coef, var)]))."""
        hi = model.new_int_var(-bound, bound, "")
        lo = model.new_int_var(-bound, bound, "")
        for const, lin in terms.values():
            e = const + sum(k * v for k, v in lin)
            model.add(hi >= e)
            model.add(lo <= e)
        r = model.new_int_var(0, 2 * bound, "")
        model.add(r == hi - lo)

        def values(val):
            return [const + sum(k * val[v] for k, v in lin) for const, lin in terms.values()]

        aux.append((hi, lambda val: max(values(val))))
        aux.append((lo, lambda val: min(values(val))))
        aux.append((r, lambda val: max(values(val)) - min(values(val))))
        return r

    total_min = sum(round((s.end - s.start).total_seconds() / 60) for s in cells) + sum(hist_min.values())
    load = {
        i: (
            hist_min[i] - round(fair_h[i] * 60),
            [
                (round((s.end - s.start).total_seconds() / 60), x[c, i])
                for c, s in enumerate(cells)
                if (c, i) in x
            ],
        )
        for i in ids
    }
    r_load = spread(load, total_min + 1)
    ranges = []
    bounds = []
    for k in (SlotKind.WEEKEND, SlotKind.HOLIDAY):
        n_k = sum(1 for kk in kinds if k in kk.balanced) + sum(hist_cnt[k].values())
        expr = {
            i: (
                100 * hist_cnt[k][i] - round(100 * fair_c[k][i]),
                [(100, x[c, i]) for c in range(len(cells)) if k in kinds[c].balanced and (c, i) in x],
            )
            for i in ids
        }
        ranges.append(spread(expr, 100 * n_k + 100))
        bounds.append(2 * (100 * n_k + 100) + 1)
    changes = []
    changes_terms: list = []
    prev = {p.start: p.member_id for p in previous}
    for c, s in enumerate(cells):
        p = prev.get(s.start)
        if p is not None and s.start not in fixed_by_start:
            changes.append(1 - x[c, p] if (c, p) in x else 1)
            changes_terms.append(x.get((c, p), 1))
    # stages: (objective, its value under a full assignment); changes count 1 when the previous
    # holder is not even a candidate any more
    stages = [(sum(b2b), lambda full: sum(full[v] for v in b2b))]
    if changes:
        stages.append(
            (
                sum(changes),
                lambda full: sum(1 - full[c] if not isinstance(c, int) else c for c in changes_terms),
            )
        )
    stages += [(r, lambda full, r=r: full[r]) for r in (r_load, *ranges)]
    holder = {h.start: h.member_id for h in hint}
    val = {v: int(holder.get(cells[c].start) == i) for (c, i), v in x.items()}
    inc = dict(val)
    for v, f in aux:
        inc[v] = f(val)
    # exact lexicographic optimisation: one stage per key component, each bounded before the next;
    # the incumbent (starting with the warm start) is the hint of every stage
    optimal = True
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 1
    solver.parameters.log_search_progress = bool(os.environ.get("CPSAT_LOG"))
    for k, (objective, value_of) in enumerate(stages):
        model.clear_hints()
        for v, value in inc.items():
            model.add_hint(v, value)
        left = time_limit - (time.perf_counter() - t0)
        solver.parameters.max_time_in_seconds = max(0.05, left / (len(stages) - k))
        model.minimize(objective)
        status = solver.solve(model)
        optimal &= status == cp_model.OPTIMAL
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            model.add(objective <= value_of(inc))  # no answer in time: keep the incumbent
            continue
        best = round(solver.objective_value)
        if best < value_of(inc):
            inc = {v: solver.value(v) for v in inc}
        model.add(objective <= value_of(inc))
    out = []
    for c, s in enumerate(cells):
        for i in ids:
            if (c, i) in x and inc[x[c, i]]:
                out.append(Shift(s.role, s.start, s.end, i, kind=kinds[c]))
    return Solved(out, time.perf_counter() - t0, optimal)
