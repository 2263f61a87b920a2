"""Export planning benchmark: time and memory of `plan_export`, and provider requests per export.

    .venv/bin/python -m bench.sync

For 12-hour shifts over growing horizons it measures, in one run on this machine:
- the planning time of a first export and of a steady-state re-plan (nothing to do), as a
  ratio to the smallest case, and the peak memory of planning (tracemalloc);
- the provider requests an export costs: PagerDuty (bulk POST of 50) vs Opsgenie (one POST per
  override), for the first export, a steady run, and a run after 2 shifts were swapped.
Figures are counts and ratios, not absolute seconds: the machine is small and noisy.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from bot.providers.base import RemoteOverride
from bot.sync.plan import ExportedRecord, ShiftToExport, plan_export

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
PD_BULK = 50  # bot.sync.apply chunks PagerDuty creates by 50
USERS = [f"U{i}" for i in range(8)]


def shifts(n: int) -> list[ShiftToExport]:
    return [ShiftToExport(str(i), USERS[i % len(USERS)], NOW + timedelta(hours=12 * i),
                          NOW + timedelta(hours=12 * (i + 1)), 1) for i in range(n)]


def exported_state(items: list[ShiftToExport]) -> tuple[list[ExportedRecord], list[RemoteOverride]]:
    records = [ExportedRecord(s.shift_id, f"O{s.shift_id}", s.user_id, s.start, s.end, s.version) for s in items]
    remote = [RemoteOverride(r.override_id, r.user_id, r.start, r.end) for r in records]
    return records, remote


def timed(fn, repeat: int = 3):
    best = math.inf
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def peak_kib(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def requests(plan, provider: str) -> int:
    """List + creates + deletes + read-back, as `bot.sync.apply`/`engine` send them."""
    creates = len(plan.creates)
    create_calls = math.ceil(creates / PD_BULK) if provider == "pagerduty" else creates
    return 1 + create_calls + len(plan.deletes) + 1


def main() -> None:
    rows = []
    base_first = base_steady = None
    for n in (60, 240, 960, 3840):
        items = shifts(n)
        end = items[-1].end
        first_s, first = timed(lambda items=items, end=end: plan_export(
            items, [], [], None, NOW, end, destination_key="bench"))
        records, remote = exported_state(items)
        steady_s, steady = timed(lambda items=items, records=records, remote=remote, end=end: plan_export(
            items, records, remote, end, NOW, end, destination_key="bench"))
        swapped = list(items)
        for i in (n // 3, n // 3 + 1):
            s = swapped[i]
            swapped[i] = ShiftToExport(s.shift_id, USERS[(i + 3) % len(USERS)], s.start, s.end, s.version + 1)
        swap_plan = plan_export(swapped, records, remote, end, NOW, end, destination_key="bench")
        mem = peak_kib(lambda items=items, end=end: plan_export(items, [], [], None, NOW, end, destination_key="b"))
        base_first = base_first or first_s
        base_steady = base_steady or steady_s
        rows.append((n, first_s / base_first, steady_s / base_steady, mem / n,
                     requests(first, "pagerduty"), requests(first, "opsgenie"),
                     requests(steady, "pagerduty"), requests(swap_plan, "pagerduty"),
                     requests(swap_plan, "opsgenie"), len(steady.creates) + len(steady.deletes)))
    head = ("shifts", "first×", "steady×", "KiB/shift", "PD first", "OG first", "steady", "PD swap",
            "OG swap", "steady writes")
    print("plan_export: time as a ratio to the 60-shift case; provider requests per export")
    print(" | ".join(f"{h:>9}" for h in head))
    for r in rows:
        print(" | ".join(f"{v:>9.2f}" if isinstance(v, float) else f"{v:>9}" for v in r))


if __name__ == "__main__":
    main()
