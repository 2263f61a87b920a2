"""After applying a plan: which deletes may run, the records to keep and how far the mark moves.

Pure functions over a `Plan` and the `Outcomes` of its provider calls; the rules they implement
are rules 7 and 9 of `bot.sync.plan`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.providers.base import CreateResult, DeleteOutcome, RemoteOverride
from bot.sync.model import ExportedRecord, Plan, PlannedDelete


@dataclass(frozen=True)
class Outcomes:
    """What actually happened. No entry for a key = failed or not tried.

    `created`: alias -> the override the provider made; `deleted`: override id -> outcome.
    """

    created: Mapping[str, RemoteOverride] = field(default_factory=dict)
    deleted: Mapping[str, DeleteOutcome] = field(default_factory=dict)

    @classmethod
    def of(
        cls, create_results: Iterable[CreateResult] = (), deleted: Mapping[str, DeleteOutcome] | None = None
    ) -> Outcomes:
        """From the provider's per-item create results and the delete outcomes that came back."""
        made = {r.request.alias: r.override for r in create_results if r.override is not None}
        return cls(created=made, deleted=dict(deleted or {}))


def deletes_to_run(plan: Plan, outcomes: Outcomes) -> list[PlannedDelete]:
    """The deletes whose required creates all succeeded (run them after the creates)."""
    return [d for d in plan.deletes if all(a in outcomes.created for a in d.requires)]


def advance_mark(plan: Plan, outcomes: Outcomes, exported_until: datetime | None) -> datetime | None:
    """How far the contiguous, successfully exported stretch from the mark reaches (rule 9)."""
    failed = [c.start for c in plan.creates if c.beyond_mark and c.alias not in outcomes.created]
    failed += [d.start for d in plan.deletes if d.beyond_mark and d.override_id not in outcomes.deleted]
    first_failure = min(failed, default=None)  # a step counts when nothing failed before its end
    mark = exported_until
    for _start, end in plan.steps:
        if first_failure is not None and first_failure < end:
            break
        mark = end if mark is None else max(mark, end)
    return mark


def updated_records(
    exported: Iterable[ExportedRecord], plan: Plan, outcomes: Outcomes
) -> tuple[ExportedRecord, ...]:
    """The records after applying `plan` with `outcomes`: deleted ones dropped, new ones added.

    Adoptions are recorded unconditionally (they need no provider call).
    """
    adopted = {a.override.id: a for a in plan.adopt}
    kept = [r for r in exported if r.override_id not in outcomes.deleted and r.override_id not in adopted]
    kept += [_record(a.shift_id, a.version, a.override) for a in plan.adopt]
    kept += [
        _record(c.shift_id, c.version, outcomes.created[c.alias])
        for c in plan.creates
        if c.alias in outcomes.created
    ]
    return tuple(kept)


def _record(shift_id: str, version: int, o: RemoteOverride) -> ExportedRecord:
    return ExportedRecord(shift_id, o.id, o.user_id, o.start, o.end, version)
