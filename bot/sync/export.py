"""The export step at one destination: inputs from the database, the provider's overrides over
the listing window, `plan_export` (cut down to some shifts with `restrict`), then either the plan
in words for a dry run (`plan_only`) or `apply_plan`, the new mark and the drift read-back
(`export`), gathered in a `DestinationResult` for the write-back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.context import Context
from bot.providers import Provider, ProviderError, RateLimited, RemoteOverride
from bot.providers.base import RenderedShift
from bot.store import session_scope
from bot.store.models import Connection, Destination, DestinationStatus, DriftMode, Schedule
from bot.sync import alerts
from bot.sync.apply import ApplyResult, Target, apply_plan, overrides_after
from bot.sync.drift import DriftItem
from bot.sync.inputs import (
    DestinationInputs,
    destination_inputs,
    destination_key,
    records_and_intents,
    user_namer,
)
from bot.sync.intents import claim, settle
from bot.sync.model import ExportedRecord
from bot.sync.plan import Plan, advance_mark, listing_window, plan_export
from bot.sync.provider import destination_label, kind_label
from bot.sync.readback import read_back
from bot.sync.report import DestinationReport
from bot.sync.snapshot import as_listed, explains


@dataclass
class DestinationResult:
    """What a destination run found, before it is written back."""

    mark: datetime | None
    unexported: list[datetime] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    provider_failed: str | None = None
    rate_limited: bool = False  # the provider still answered 429 after the retries
    read_only: str | None = None
    items: list[DriftItem] | None = None  # None: drift not checked this run
    created: int = 0
    deleted: int = 0
    adopted: int = 0
    unchanged: int = 0
    open_alert: bool | None = None  # an open drift alert before the run (None: not read)


# ---------------------------------------------------------------- planning


def restrict(plan: Plan, shift_ids: set[str]) -> Plan:
    """The part of `plan` that concerns only `shift_ids`: their creates, adoptions and the deletes
    of their own (recorded) overrides. The mark does not move (no steps)."""
    return replace(
        plan,
        creates=tuple(c for c in plan.creates if c.shift_id in shift_ids),
        deletes=tuple(d for d in plan.deletes if d.shift_id in shift_ids),
        adopt=tuple(a for a in plan.adopt if a.shift_id in shift_ids),
        steps=(),
        new_exported_until=plan.exported_until,
    )


def _inputs(session: Session, provider: Provider, schedule: Schedule, dest: Destination, conn: Connection,
            now: datetime) -> DestinationInputs:
    return destination_inputs(session, schedule, dest, now, provider_label=kind_label(conn),
                              refresh=provider.list_users)


def _listed(provider: Provider, dest: Destination, inputs: DestinationInputs, now: datetime,
            horizon_end: datetime) -> tuple[list[RemoteOverride], tuple[datetime, datetime]]:
    window = listing_window(inputs.shifts, now, horizon_end, dest.exported_until)
    return provider.list_overrides(dest.provider_schedule_id, *window), window


def _snapshot_first(provider: Provider, intents: list[ExportedRecord], open_alert: bool) -> bool:
    """Whether to try one schedule read instead of the listing (`bot.sync.snapshot`): the provider
    renders its override layer, no intent waits to be claimed, and no drift alert is open (a kept
    hand edit would make every try fail and cost a read more)."""
    return hasattr(provider, "rendered_layers") and not intents and not open_alert


def _read(provider: Provider, dest: Destination, inputs: DestinationInputs, records: list[ExportedRecord],
          now: datetime, horizon_end: datetime, *, snapshot: bool
          ) -> tuple[list[RemoteOverride], tuple[datetime, datetime], list[RenderedShift] | None]:
    """The overrides over the listing window: from one schedule read when its override layer is
    exactly the records (then its final schedule comes along for the drift read-back), else listed."""
    if snapshot:
        window = listing_window(inputs.shifts, now, horizon_end, dest.exported_until)
        final, layer = provider.rendered_layers(dest.provider_schedule_id, *window)
        if explains(layer, records, *window):
            return as_listed(records, now), window, final
    remote, window = _listed(provider, dest, inputs, now, horizon_end)
    return remote, window, None


def _claimed(session: Session, dest: Destination, records: list[ExportedRecord], intents: list[ExportedRecord],
             remote: list[RemoteOverride], now: datetime, window: tuple[datetime, datetime], *,
             write: bool) -> list[ExportedRecord]:
    """The records plus what the `intents` left by an interrupted run found (`bot.sync.intents`);
    with `write`, the intents are settled in the database."""
    if not intents:
        return records
    claims = claim(intents, (r.override_id for r in records), remote, now, window)
    if write:
        settle(session, dest.id, claims)
    return [*records, *claims.records]


def _plan(inputs: DestinationInputs, records: Sequence[ExportedRecord], remote: Sequence[RemoteOverride],
          dest: Destination, now: datetime, horizon_end: datetime, only: set[str] | None) -> Plan:
    plan = plan_export(inputs.shifts, records, remote, dest.exported_until, now, horizon_end,
                       destination_key=destination_key(dest))
    return restrict(plan, only) if only is not None else plan


def _unchanged(inputs: DestinationInputs, plan: Plan, horizon_end: datetime) -> int:
    touched = {c.shift_id for c in plan.creates} | {a.shift_id for a in plan.adopt}
    return sum(1 for s in inputs.shifts if s.start < horizon_end and s.shift_id not in touched)


def _unexported(plan: Plan, result: ApplyResult, inputs: DestinationInputs, mark: datetime | None,
                horizon_end: datetime) -> list[datetime]:
    failed = {c.shift_id for c in plan.creates if c.alias not in result.created}
    starts = [s.start for s in inputs.shifts
              if s.start < horizon_end and (s.shift_id in failed or mark is None or s.end > mark)]
    starts += [u.start for u in inputs.unexportable if u.start < horizon_end]
    return starts


# ---------------------------------------------------------------- dry run


def plan_only(ctx: Context, session: Session, schedule: Schedule, dest: Destination, now: datetime,
              only: set[str] | None) -> DestinationReport:
    """What an export would do at `dest`, in lines (the dry run's `session` sees its extension)."""
    conn = session.get(Connection, dest.connection_id)
    label = destination_label(dest, conn)
    if conn is None:
        return DestinationReport(dest.id, label, status=DestinationStatus.ERROR.value,
                                 error="the connection was removed", exported_until=dest.exported_until)
    horizon_end = now + timedelta(days=schedule.horizon_days)
    with ctx.provider(conn) as provider:
        try:
            inputs = _inputs(session, provider, schedule, dest, conn, now)
            remote, window = _listed(provider, dest, inputs, now, horizon_end)
        except ProviderError as exc:
            return DestinationReport(dest.id, label, status=dest.status, error=str(exc),
                                     exported_until=dest.exported_until)
    records, intents = records_and_intents(session, dest.id)
    records = _claimed(session, dest, records, intents, remote, now, window, write=False)
    plan = _plan(inputs, records, remote, dest, now, horizon_end, only)
    name = user_namer(session, inputs, conn.id)
    lines = tuple(plan.lines())
    names = {ln.user_id: name(ln.user_id) for ln in lines}
    error = "; ".join(inputs.problems) or None
    if conn.can_write is False:
        error = f"the API key of {conn.name} is read-only: nothing can be exported" + (f"; {error}" if error else "")
    return DestinationReport(dest.id, label, created=len(plan.creates), deleted=len(plan.deletes),
                             adopted=len(plan.adopt), unchanged=_unchanged(inputs, plan, horizon_end),
                             exported_until=plan.new_exported_until, status=dest.status, error=error, lines=lines, names=names)


# ---------------------------------------------------------------- export


def export(ctx: Context, provider: Provider, schedule: Schedule, dest: Destination, conn: Connection,
           now: datetime, only: set[str] | None) -> tuple[DestinationResult, DestinationInputs | None]:
    """Plan, apply (a commit per provider batch), move the mark and read drift back, by the
    schedule's drift mode. `only`: just those shifts' own items, and the mark stays.
    Everything it needs from the database before the provider answers is read in one session."""
    horizon_end = now + timedelta(days=schedule.horizon_days)
    old_mark = dest.exported_until
    try:
        with session_scope(ctx.engine) as session:
            inputs = _inputs(session, provider, schedule, dest, conn, now)
            records, intents = records_and_intents(session, dest.id)
            open_alert, acked = alerts.alert_state(session, dest.id)
        snapshot = _snapshot_first(provider, intents, open_alert)
        remote, window, final = _read(provider, dest, inputs, records, now, horizon_end, snapshot=snapshot)
    except ProviderError as exc:
        return DestinationResult(old_mark, unexported=[], problems=[str(exc)], provider_failed=str(exc),
                                 rate_limited=isinstance(exc, RateLimited)), None
    if intents:
        with session_scope(ctx.engine) as session:
            records = _claimed(session, dest, records, intents, remote, now, window, write=True)
    plan = _plan(inputs, records, remote, dest, now, horizon_end, only)
    target = Target(dest.team_id, dest.id, conn.id, dest.provider_schedule_id)
    result = apply_plan(ctx.engine, provider, target, plan)
    # The mark passes over shifts left out (members without an account): the first export of
    # their period is done, so hand edits there survive like anywhere before the mark; they are
    # exported as changed shifts once the person has an account, and named in the status till then.
    mark = advance_mark(plan, result.outcomes, old_mark)
    out = DestinationResult(mark, created=len(result.created), deleted=len(result.deleted), adopted=result.adopted,
                            unchanged=_unchanged(inputs, plan, horizon_end), open_alert=open_alert)
    out.unexported = _unexported(plan, result, inputs, mark, horizon_end)
    out.problems = [*result.errors, *inputs.problems]
    out.read_only = result.read_only
    out.rate_limited = isinstance(result.stopped, RateLimited)
    if result.errors:
        out.provider_failed = result.errors[-1]
    if result.read_only or result.stopped or schedule.drift_mode == DriftMode.OFF.value:
        return out, inputs
    wrote = bool(intents or plan.creates or plan.deletes or plan.adopt)
    try:
        out.items = read_back(ctx, provider, dest, inputs.shifts, overrides_after(remote, result, now), now, mark,
                              rendered=final if not (plan.creates or plan.deletes) else None,
                              records=None if wrote else records, acknowledged=acked)
    except ProviderError as exc:
        out.problems.append(f"reading back what {kind_label(conn)} will page failed: {exc}")
        out.provider_failed = str(exc)
        out.rate_limited = out.rate_limited or isinstance(exc, RateLimited)
    return out, inputs
