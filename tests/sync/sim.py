"""The simulated provider schedule (`bot.sandbox.schedule`, shared with the sandbox's HTTP
simulators) for the sync tests, and a tiny stand-in for the apply layer.

`SimDestination` plays the apply layer and the database: it plans, applies (optionally only a
prefix of the provider calls, or committing only a prefix of the results: a crash), records
results and advances the mark with the pure functions of `bot.sync.plan`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.providers.base import DeleteOutcome, InvalidRequest, RemoteOverride
from bot.sandbox.schedule import Rotation, SimOverride, SimSchedule
from bot.sync.plan import (
    ExportedRecord,
    Outcomes,
    Plan,
    ShiftToExport,
    advance_mark,
    deletes_to_run,
    plan_export,
    updated_records,
)

__all__ = ["Applied", "Rotation", "SimDestination", "SimOverride", "SimSchedule", "apply_plan"]


# ---------------------------------------------------------------- apply stand-in


@dataclass
class Applied:
    """Provider calls made, in order: (key, ok) with key = alias for creates, id for deletes."""

    outcomes: Outcomes
    calls: list[tuple[str, bool]] = field(default_factory=list)

    def prefix(self, n: int) -> Outcomes:
        """The outcomes of only the first `n` calls (what a crashed process managed to record)."""
        keys = {k for k, ok in self.calls[:n] if ok}
        return Outcomes(
            created={a: o for a, o in self.outcomes.created.items() if a in keys},
            deleted={i: d for i, d in self.outcomes.deleted.items() if i in keys},
        )


def apply_plan(
    sim: SimSchedule, plan: Plan, *, limit: int | None = None, fail: Collection[str] = ()
) -> Applied:
    """Creates, then the deletes whose creates succeeded; stop after `limit` calls (a crash).

    Keys in `fail` (aliases or override ids) fail like a provider error would.
    """
    created: dict[str, RemoteOverride] = {}
    deleted: dict[str, DeleteOutcome] = {}
    applied = Applied(Outcomes(created=created, deleted=deleted))
    for create in plan.creates:
        if limit is not None and len(applied.calls) >= limit:
            return applied
        ok = create.alias not in fail
        if ok:
            try:
                created[create.alias] = sim.create(create.request)
            except InvalidRequest:
                ok = False
        applied.calls.append((create.alias, ok))
    for delete in deletes_to_run(plan, applied.outcomes):
        if limit is not None and len(applied.calls) >= limit:
            return applied
        ok = delete.override_id not in fail
        if ok:
            deleted[delete.override_id] = sim.delete(delete.override_id)
        applied.calls.append((delete.override_id, ok))
    return applied


@dataclass
class SimDestination:
    """One destination: the simulated provider plus what the database would hold."""

    sim: SimSchedule
    key: str = "dest-1"
    records: tuple[ExportedRecord, ...] = ()
    mark: datetime | None = None

    @property
    def now(self) -> datetime:
        return self.sim.now

    def plan(self, shifts: Sequence[ShiftToExport], horizon_end: datetime) -> Plan:
        return plan_export(
            shifts,
            self.records,
            self.sim.list_overrides(),
            self.mark,
            self.now,
            horizon_end,
            destination_key=self.key,
        )

    def run(
        self,
        shifts: Sequence[ShiftToExport],
        horizon_end: datetime,
        *,
        limit: int | None = None,
        commit: int | None = None,
        record_adoptions: bool = True,
        record_mark: bool = True,
        fail: Collection[str] = (),
    ) -> Plan:
        """Plan and apply. `limit`: provider calls made before a crash; `commit`: how many of
        their results reached the database; `record_adoptions` / `record_mark`: whether the
        adoptions / the new mark did."""
        plan = self.plan(shifts, horizon_end)
        applied = apply_plan(self.sim, plan, limit=limit, fail=fail)
        outcomes = applied.outcomes if commit is None else applied.prefix(commit)
        recorded = plan if record_adoptions else dataclasses.replace(plan, adopt=())
        self.records = updated_records(self.records, recorded, outcomes)
        if record_mark:
            self.mark = advance_mark(recorded, outcomes, self.mark)
        return plan
