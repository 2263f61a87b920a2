"""Export planning: a pure function from what the bot wants and what the provider has to a `Plan`.

``plan_export(shifts, exported, remote_overrides, exported_until, now, horizon_end,
destination_key=...)`` looks at ONE destination (one role of one schedule). Words: the *mark*
is ``exported_until`` (None: never exported); a shift is *before the mark* when it starts before
it; *live* means ending after ``now``; the *reach* is the end of the last live shift that starts
before ``horizon_end``.

Rules
-----
1. **Past is never touched.** Shifts, records and overrides that end at or before ``now`` are
   ignored: never created, deleted or adopted.
2. **One override per shift.** Every live shift starting before ``horizon_end`` (or before the
   mark, when a shrunk horizon ends before it) is exported whole (up to its end), as exactly one
   override, so contiguous shifts give contiguous overrides.
3. **Before the mark, the provider wins.** A shift with an exported record at its current
   version is left alone, and so is whatever the provider shows over it (hand-made overrides,
   hand-deleted bot overrides). A shift without such a record (the bot changed it: version bump,
   or a new shift) is re-exported: create the new override, delete the bot's old one. Hand-made
   overrides are not deleted; the bot's newer override wins over them (newest wins).
4. **From the mark on, the bot wins** (first export of that period): every live override that
   starts in ``[mark, reach)`` and is not the one kept for a shift is deleted, and the bot's are
   created. Overrides starting before the mark are before-the-mark territory (rule 3), even if
   they reach past it; the bot's newer overrides win over them.
5. **Stale bot overrides go.** A live record for an older version of a shift, or for a shift
   the bot no longer has (``shifts`` must hold every shift of the destination that ends after
   ``now``), is deleted wherever it is. So is a live override nobody recorded whose id is this
   destination's alias for an older version of a shift (Opsgenie: a crash between its create
   and the commit, then the shift changed again before the next run could adopt it).
6. **Adopt, don't duplicate.** A shift needing export first looks for a live remote override
   that already matches it (same user and end; start = the shift's start, or for a shift in
   progress anything up to ``now``) that is either recorded for this shift at this version or not
   recorded at all. Such an override is adopted (recorded) instead of created; this is what makes
   a re-run after a crash converge. Overrides recorded for an *older* version are never adopted,
   so a version bump with the same person still re-creates the override and makes it newest
   ("Re-apply bot assignments" = bump the versions of those shifts).
7. **In progress: from now, create before delete.** A shift in progress is created from ``now``
   (not its start: the past stays as it was paged). PagerDuty truncates an in-progress override
   to now on delete and the newest overlapping override wins, so: creates run first, then
   deletes; and each delete lists in ``requires`` the aliases of the creates overlapping it; the
   delete runs only when all of them succeeded (`deletes_to_run`). Nobody is ever left without
   the intended replacement, and a crash between the two leaves the new override winning and the
   old one for the next run to delete.
8. **Deterministic aliases.** Each create carries ``override_alias(destination_key, shift_id,
   version)`` so a retried Opsgenie create is idempotent. If an override that does not match the
   shift already holds that alias (edited in place in Opsgenie, or about to be deleted), a
   numbered variant (``-1``, ``-2`` …) is used, so create-before-delete still works.
9. **The mark advances only over success.** ``advance_mark(plan, outcomes, exported_until)``
   walks the live shifts from the mark on, in time order, and stops at the first one with a
   failed (or untried) create, or a failed delete of an override starting before its end.
   Failures before the mark do not move it: those shifts are simply planned again next run.
   ``Plan.new_exported_until`` is the mark after full success. Shifts the caller leaves out
   (a member without an account) are gaps the mark passes over like the rest: the first export
   of their period is done. Holding the mark back for them would turn the exported shifts after
   them back into first exports, and the sweep would delete hand edits there.

Applying a plan (the apply layer's contract): run ``plan.creates`` (bulk is fine), then
``deletes_to_run(plan, outcomes)``; record ``updated_records(...)`` and ``advance_mark(...)``.
DeleteOutcome DELETED, TRUNCATED, PAST and MISSING all count as success.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.providers.base import DeleteOutcome, OverrideRequest, RemoteOverride
from bot.sync.model import (
    Adoption,
    CreateReason,
    DeleteReason,
    ExportedRecord,
    Plan,
    PlanLine,
    PlannedCreate,
    PlannedDelete,
    ShiftToExport,
    matches_shift,
    overlaps,
)
from bot.sync.outcome import Outcomes, advance_mark, deletes_to_run, updated_records

# The whole export API is importable from here: types live in model.py, results in outcome.py.
__all__ = [
    "Adoption",
    "CreateReason",
    "DeleteReason",
    "ExportedRecord",
    "Outcomes",
    "Plan",
    "PlanLine",
    "PlannedCreate",
    "PlannedDelete",
    "ShiftToExport",
    "advance_mark",
    "deletes_to_run",
    "listing_window",
    "override_alias",
    "plan_export",
    "updated_records",
]

ALIAS_PREFIX = "oncallbot-"


def override_alias(destination_key: str, shift_id: str, version: int) -> str:
    """Short stable alias for the override of `shift_id` at `version` at one destination.

    Lowercase letters, digits and dashes only (valid as an Opsgenie alias), 30 characters.
    """
    digest = hashlib.sha256(f"{destination_key}\x1f{shift_id}\x1f{version}".encode()).hexdigest()
    return ALIAS_PREFIX + digest[:20]


# ---------------------------------------------------------------- planning


@dataclass
class _Ctx:
    """Indexed inputs of one planning run (internal)."""

    now: datetime
    mark: datetime | None
    destination_key: str
    shifts_by_id: dict[str, ShiftToExport]
    records_by_shift: dict[str, list[ExportedRecord]]
    record_by_override: dict[str, ExportedRecord]
    remote: dict[str, RemoteOverride]
    taken_ids: set[str]
    claimed: set[str] = field(default_factory=set)

    def beyond_mark(self, start: datetime) -> bool:
        return self.mark is None or start >= self.mark


@dataclass
class _Decision:
    protect: set[str] = field(default_factory=set)
    create: PlannedCreate | None = None
    adopt: Adoption | None = None
    drop: list[ExportedRecord] = field(default_factory=list)


def plan_export(
    shifts: Sequence[ShiftToExport],
    exported: Sequence[ExportedRecord],
    remote_overrides: Sequence[RemoteOverride],
    exported_until: datetime | None,
    now: datetime,
    horizon_end: datetime,
    *,
    destination_key: str,
) -> Plan:
    """Plan the export of `shifts` to one destination. Pure; see the module docstring for the rules.

    `shifts`: every shift of the destination's role that ends after `now` (with provider user
    ids); `exported`: the destination's records; `remote_overrides`: the provider's overrides
    over at least `listing_window(shifts, now, horizon_end)`.
    """
    ctx = _index(shifts, exported, remote_overrides, exported_until, now, destination_key)
    reach_end = _reach_end(horizon_end, exported_until)
    live = sorted(
        (s for s in shifts if s.end > now and s.start < reach_end), key=lambda s: (s.start, s.end)
    )
    decisions = [_decide(s, ctx) for s in live]
    creates = tuple(d.create for d in decisions if d.create)
    protected = set().union(*(d.protect for d in decisions))
    deletes: dict[str, PlannedDelete] = {}
    for record in _stale_records(exported, ctx):
        _add_record_delete(deletes, record, ctx, _stale_reason(record, ctx))
    for decision in decisions:
        for record in decision.drop:
            _add_record_delete(deletes, record, ctx, DeleteReason.REPLACED)
    for o, shift_id in _unrecorded_older(ctx):
        deletes[o.id] = PlannedDelete(o.id, o.user_id, o.start, o.end, DeleteReason.OUTDATED,
                                      ctx.beyond_mark(o.start), shift_id=shift_id)
    reach = max((s.end for s in live), default=None)
    if reach is not None:
        _sweep(deletes, protected, reach, ctx)
    plan = Plan(
        creates=creates,
        deletes=tuple(_with_requires(d, creates, now) for d in sorted(deletes.values(), key=_delete_order)),
        adopt=tuple(d.adopt for d in decisions if d.adopt),
        exported_until=exported_until,
        steps=tuple((s.start, s.end) for s in live if ctx.beyond_mark(s.start)),
    )
    everything = Outcomes(
        created={c.alias: _as_override(c.request) for c in creates},
        deleted={d.override_id: DeleteOutcome.DELETED for d in plan.deletes},
    )
    return replace(plan, new_exported_until=advance_mark(plan, everything, exported_until))


def listing_window(
    shifts: Iterable[ShiftToExport], now: datetime, horizon_end: datetime, exported_until: datetime | None = None
) -> tuple[datetime, datetime]:
    """The window to list remote overrides over: from now to the end of the last shift exported
    (up to the mark at least: a horizon shrunk below it leaves those shifts the bot's)."""
    reach_end = _reach_end(horizon_end, exported_until)
    ends = [s.end for s in shifts if s.end > now and s.start < reach_end]
    return now, max([reach_end, *ends])


def _reach_end(horizon_end: datetime, exported_until: datetime | None) -> datetime:
    """Shifts starting before this are planned: up to the horizon, and up to the mark when a
    horizon shrunk below it (the shifts there are exported: changed ones are re-exported)."""
    return max(horizon_end, exported_until) if exported_until is not None else horizon_end


def _index(shifts, exported, remote_overrides, mark, now, destination_key) -> _Ctx:
    by_shift: dict[str, list[ExportedRecord]] = {}
    for record in exported:
        by_shift.setdefault(record.shift_id, []).append(record)
    return _Ctx(
        now=now,
        mark=mark,
        destination_key=destination_key,
        shifts_by_id={s.shift_id: s for s in shifts},
        records_by_shift=by_shift,
        record_by_override={r.override_id: r for r in exported},
        remote={o.id: o for o in remote_overrides if o.end > now},
        taken_ids={o.id for o in remote_overrides},
    )


def _decide(shift: ShiftToExport, ctx: _Ctx) -> _Decision:
    """What one live shift needs: nothing (protected), an adoption, or a create."""
    current = [r for r in ctx.records_by_shift.get(shift.shift_id, []) if r.version == shift.version]
    beyond = ctx.beyond_mark(shift.start)
    if not beyond and current:
        return _Decision(protect={r.override_id for r in current})
    current_ids = {r.override_id for r in current}
    kept = _find_match(shift, current_ids, ctx)
    decision = _Decision(
        drop=[r for r in current if r.end > ctx.now and (kept is None or r.override_id != kept.id)]
    )
    if kept is not None:
        ctx.claimed.add(kept.id)
        decision.protect.add(kept.id)
        if kept.id not in current_ids:
            decision.adopt = Adoption(shift.shift_id, shift.version, kept, beyond)
        return decision
    reason = CreateReason.NEW if beyond else CreateReason.CHANGED
    request = OverrideRequest(shift.user_id, max(shift.start, ctx.now), shift.end, _free_alias(shift, ctx))
    decision.create = PlannedCreate(shift.shift_id, shift.version, request, reason, beyond)
    return decision


def _find_match(shift: ShiftToExport, current_ids: set[str], ctx: _Ctx) -> RemoteOverride | None:
    """The remote override to keep for `shift`: recorded for it at this version, else unrecorded."""
    alias = override_alias(ctx.destination_key, shift.shift_id, shift.version)
    candidates = [
        o
        for o in ctx.remote.values()
        if o.id not in ctx.claimed
        and (o.id in current_ids or o.id not in ctx.record_by_override)
        and matches_shift(o, shift, ctx.now)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda o: (o.id not in current_ids, not o.id.startswith(alias), o.id))


def _free_alias(shift: ShiftToExport, ctx: _Ctx) -> str:
    """The shift's alias, or a numbered variant when an override that does not match holds it."""
    base = override_alias(ctx.destination_key, shift.shift_id, shift.version)
    alias, n = base, 1
    while alias in ctx.taken_ids:
        alias, n = f"{base}-{n}", n + 1
    return alias


def _stale_records(exported: Iterable[ExportedRecord], ctx: _Ctx) -> list[ExportedRecord]:
    """Live records of older versions or of shifts the bot no longer has."""
    return [r for r in exported if r.end > ctx.now and _stale_reason(r, ctx) is not None]


def _unrecorded_older(ctx: _Ctx) -> list[tuple[RemoteOverride, str]]:
    """Rule 5 for overrides a crash left unrecorded: a live override nobody recorded whose id is
    this destination's alias (or a numbered variant) for an older version of a shift. Only where
    the bot chooses ids (Opsgenie); adopted ones are the bot's again."""
    older = {
        override_alias(ctx.destination_key, s.shift_id, v): s.shift_id
        for s in ctx.shifts_by_id.values()
        for v in range(1, s.version)
    }
    out = []
    for o in ctx.remote.values():
        if o.id in ctx.record_by_override or o.id in ctx.claimed or not o.id.startswith(ALIAS_PREFIX):
            continue
        shift_id = older.get(o.id) or older.get(o.id.rsplit("-", 1)[0])
        if shift_id is not None:
            out.append((o, shift_id))
    return out


def _stale_reason(record: ExportedRecord, ctx: _Ctx) -> DeleteReason | None:
    shift = ctx.shifts_by_id.get(record.shift_id)
    if shift is None:
        return DeleteReason.ORPHANED
    return DeleteReason.OUTDATED if shift.version != record.version else None


def _add_record_delete(
    deletes: dict[str, PlannedDelete], record: ExportedRecord, ctx: _Ctx, reason: DeleteReason | None
) -> None:
    if record.override_id in deletes or reason is None:
        return
    remote = ctx.remote.get(record.override_id)
    start, end, user = (
        (remote.start, remote.end, remote.user_id) if remote else (record.start, record.end, record.user_id)
    )
    deletes[record.override_id] = PlannedDelete(
        record.override_id, user, start, end, reason, ctx.beyond_mark(start), shift_id=record.shift_id
    )


def _sweep(deletes: dict[str, PlannedDelete], protected: set[str], reach: datetime, ctx: _Ctx) -> None:
    """Rule 4: delete every live override starting in [mark, reach) that nothing keeps."""
    for o in ctx.remote.values():
        if o.id in deletes or o.id in protected or o.start >= reach or not ctx.beyond_mark(o.start):
            continue
        record = ctx.record_by_override.get(o.id)
        shift_id = record.shift_id if record else None
        deletes[o.id] = PlannedDelete(
            o.id, o.user_id, o.start, o.end, DeleteReason.PRE_EXISTING, True, shift_id=shift_id
        )


def _with_requires(delete: PlannedDelete, creates: Sequence[PlannedCreate], now: datetime) -> PlannedDelete:
    """Rule 7: a delete waits for every create overlapping what is left of the override."""
    live_start = max(delete.start, now)
    needed = tuple(c.alias for c in creates if overlaps(c.start, c.end, live_start, delete.end))
    return replace(delete, requires=needed)


def _delete_order(d: PlannedDelete) -> tuple[datetime, str]:
    return (d.start, d.override_id)


def _as_override(request: OverrideRequest) -> RemoteOverride:
    return RemoteOverride(request.alias, request.user_id, request.start, request.end, request.user_email)
