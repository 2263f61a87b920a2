"""The fault-injected simulation's long run: 10,000 steps over seeded 90-day simulations.

    .venv/bin/python -m bench.faultsim                      # 10,000 steps (seeds 1, 2, … until reached)
    .venv/bin/python -m bench.faultsim --steps 2000
    .venv/bin/python -m bench.faultsim --seed 7 --steps 40  # replay one seed up to a step, with its history

Each seed is one world (`tests/faultsim/driver.py`): 90 simulated days of swaps, covers, undo,
time off, hand edits before and after the mark, a member without an account, horizon changes,
and provider faults (429 with and without a reset hint, 5xx, timeouts, lost answers, partial
bulk failures, crashes between a provider write and the commit), with the invariants of
`tests/faultsim/invariants.py` checked after every step and at every simulated hour. A seed
stops at its first violating step and prints how to replay it. "leftovers" counts bot overrides
that a crash left unrecorded and that no longer matched their shift by the next run (since create
intents are recorded before the provider call, `bot/sync/intents.py`, the next run finds them).
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time

import respx

from tests.faultsim.driver import DAYS, Simulation


def _one(seed: int, steps: int, days: int, verbose: bool):
    with tempfile.TemporaryDirectory() as tmp, respx.mock(assert_all_called=False) as router:
        sim = Simulation(seed, f"sqlite:///{os.path.join(tmp, 'sim.db')}", router, days=days)
        result = sim.run(steps)
        sim.ctx.close()
        sim.engine.dispose()
    if verbose or result.violations:
        print(result.report(last=len(result.history) if verbose else 25))
    if result.leftovers and verbose:
        print("leftovers (override: first seen):", result.leftovers)
    return result


def _by_provider(leftovers: dict[str, str]) -> str:
    pd = sum(1 for k in leftovers if k.startswith("pd:"))
    return f"{pd}/{len(leftovers) - pd}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000, help="steps in total (or of the one --seed)")
    ap.add_argument("--seed", type=int, help="replay this seed only, printing its whole history")
    ap.add_argument("--days", type=int, default=DAYS)
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # the retries' warnings are expected here
    head = ("seed", "steps", "sim days", "syncs", "faults", "crashes", "swaps", "hand edits", "settled %",
            "left PD/OG", "violations", "seconds")
    print("fault-injected simulation: steps and violations per seed (a seed stops at its first violation)")
    print(" | ".join(f"{h:>10}" for h in head))
    seeds = [args.seed] if args.seed is not None else None
    total = {k: 0 for k in ("steps", "syncs", "faults", "crashes", "swaps", "hand", "left", "bad")}
    seed = 0
    started = time.perf_counter()
    while total["steps"] < args.steps and (seeds is None or seed < 1):
        s = seeds[0] if seeds else seed + 1
        t0 = time.perf_counter()
        r = _one(s, args.steps - total["steps"], args.days, verbose=seeds is not None)
        seed += 1
        bad = 1 if r.violations else 0
        row = (s, r.steps, r.hours / 24, r.syncs, r.faults, r.crashes, r.swaps, r.hand_edits,
               100.0 * r.settled / max(1, r.checks), _by_provider(r.leftovers), bad, time.perf_counter() - t0)
        print(" | ".join(f"{v:>10.1f}" if isinstance(v, float) else f"{v:>10}" for v in row), flush=True)
        for k, v in zip(total, (r.steps, r.syncs, r.faults, r.crashes, r.swaps, r.hand_edits, len(r.leftovers), bad),
                        strict=True):
            total[k] += v
        if r.steps == 0:
            break
    print(f"total: {total['steps']} steps, {total['syncs']} syncs, {total['faults']} faults injected, "
          f"{total['crashes']} crashes, {total['swaps']} swaps, {total['hand']} hand edits, "
          f"{total['left']} leftovers, {total['bad']} violations ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
