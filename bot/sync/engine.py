"""`sync_schedule`: one sync run of one schedule (extend, plan, apply, read back drift, alert).

    report = sync_schedule(ctx, schedule_id, client=slack_client)
    report = sync_schedule(ctx, schedule_id, only_shift_ids=[12, 13], wait=30)   # after a swap
    report = sync_schedule(ctx, schedule_id, dry_run=True)                       # /oncall plan

Under `try_lock(engine, schedule_id)`: a schedule is synced by one thread of one replica at a
time; a run that cannot take the lock returns a report with `skipped` set (or waits up to
`wait` seconds for it first). Per destination:

1. inputs from the database (`bot.sync.inputs`), the provider's overrides over the listing
   window, `plan_export`; with `only_shift_ids` the plan is cut down to those shifts' own
   items (nothing else is created, deleted or adopted, and the mark does not move);
2. `apply_plan` (commits after every provider batch), `advance_mark`;
3. drift read back over `[now, exported_until)` (`provider.rendered` + the overrides as they
   are after the apply) and, by the schedule's drift mode, a channel alert, an automatic
   re-apply, or nothing;
4. the destination's status, error in words, outage bookkeeping (`bot.sync.alerts`).

A dry run writes nothing: it works in one session that is rolled back at the end, and never
calls a provider write.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import httpx
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.context import Context
from bot.providers import Provider, ProviderError, ProviderKind, make_provider
from bot.redact import register_secret
from bot.store import session_scope
from bot.store.models import (
    AuditEvent,
    Connection,
    Destination,
    DestinationStatus,
    DriftMode,
    ProviderUser,
    Schedule,
    Shift,
)
from bot.sync import alerts
from bot.sync.apply import ApplyResult, Target, apply_plan, overrides_after
from bot.sync.drift import DriftItem, detect_drift, drift_fingerprint
from bot.sync.inputs import DestinationInputs, destination_inputs, destination_key, exported_records
from bot.sync.locks import try_lock
from bot.sync.plan import Plan, PlanLine, advance_mark, listing_window, plan_export
from bot.sync.ratelimit import ThrottledClient, bucket_for
from bot.sync.status import StatusInput, destination_status

log = logging.getLogger(__name__)
LOCK_POLL_SECONDS = 0.5


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class DestinationReport:
    """What one run did at one destination."""

    destination_id: int
    label: str  # "Platform primary (PagerDuty · Acme PD)"
    created: int = 0
    deleted: int = 0
    adopted: int = 0
    unchanged: int = 0
    exported_until: datetime | None = None
    status: str = DestinationStatus.PENDING.value
    error: str | None = None
    drifting: int = 0  # shifts that drift (after acknowledgements)
    lines: tuple[PlanLine, ...] = ()  # dry run: what an export would do
    names: dict[str, str] = field(default_factory=dict)  # provider user id -> mention or name


@dataclass(frozen=True)
class SyncReport:
    schedule_id: int
    schedule_name: str = ""
    time_zone: str = "UTC"
    destinations: tuple[DestinationReport, ...] = ()
    dry_run: bool = False
    skipped: str | None = None  # why nothing was done
    assigned: int | None = None  # shifts added by extend_assignments (None: not run / unavailable)
    assign_error: str | None = None

    @property
    def changed(self) -> bool:
        return any(d.created or d.deleted or d.adopted for d in self.destinations)


# ---------------------------------------------------------------- entry point


@contextmanager
def _lock(ctx: Context, schedule_id: int, wait: float) -> Iterator[bool]:
    tries = max(1, int(wait / LOCK_POLL_SECONDS) + 1)
    for attempt in range(tries):
        with try_lock(ctx.engine, schedule_id) as got:
            if got:
                yield True
                return
        if attempt + 1 < tries:
            ctx.sleep(LOCK_POLL_SECONDS)
    yield False


def sync_schedule(
    ctx: Context,
    schedule_id: int,
    *,
    client: WebClient | None = None,
    only_shift_ids: Collection[int] | None = None,
    dry_run: bool = False,
    wait: float = 0.0,
) -> SyncReport:
    """Sync one schedule now (see the module docstring). `client` posts alerts and refreshes
    App Home; without it nothing is sent to Slack."""
    with _lock(ctx, schedule_id, wait) as got:
        if not got:
            with session_scope(ctx.engine) as session:
                sched = session.get(Schedule, schedule_id)
            return SyncReport(schedule_id, sched.name if sched else "", sched.time_zone if sched else "UTC",
                              dry_run=dry_run, skipped="another sync of this schedule is running")
        only = {str(i) for i in only_shift_ids} if only_shift_ids is not None else None
        if dry_run:
            return _dry_run(ctx, schedule_id, only)
        return _run(ctx, schedule_id, client, only)


def _run(ctx: Context, schedule_id: int, client: WebClient | None, only: set[str] | None) -> SyncReport:
    now = ctx.clock()
    with session_scope(ctx.engine) as session:
        schedule = session.get(Schedule, schedule_id)
        if schedule is None:
            return SyncReport(schedule_id, skipped="the schedule no longer exists")
        assigned, assign_error = (None, None) if only is not None else _extend(ctx, session, schedule, now)
        session.refresh(schedule)  # loaded again after a rolled-back extension, kept after the session
        dest_ids = [d.id for d in _destinations(session, schedule_id)]
    reports = tuple(_sync_destination(ctx, client, schedule, d, now, only) for d in dest_ids)
    report = SyncReport(schedule.id, schedule.name, schedule.time_zone, reports, assigned=assigned,
                        assign_error=assign_error)
    if client is not None and (report.changed or assigned):
        _refresh_homes(ctx, client, schedule.team_id)
    return report


def _dry_run(ctx: Context, schedule_id: int, only: set[str] | None) -> SyncReport:
    now = ctx.clock()
    session = Session(ctx.engine, expire_on_commit=False)
    try:
        schedule = session.get(Schedule, schedule_id)
        if schedule is None:
            return SyncReport(schedule_id, dry_run=True, skipped="the schedule no longer exists")
        assigned, assign_error = (None, None) if only is not None else _extend(ctx, session, schedule, now)
        session.refresh(schedule)
        reports = []
        for dest in _destinations(session, schedule_id):
            reports.append(_plan_only(ctx, session, schedule, dest, now, only))
        return SyncReport(schedule.id, schedule.name, schedule.time_zone, tuple(reports), dry_run=True,
                          assigned=assigned, assign_error=assign_error)
    finally:
        session.rollback()
        session.close()


def _destinations(session: Session, schedule_id: int) -> list[Destination]:
    return list(session.exec(select(Destination).where(Destination.schedule_id == schedule_id)
                             .order_by(Destination.id)))


def _extend(ctx: Context, session: Session, schedule: Schedule, now: datetime) -> tuple[int | None, str | None]:
    """Fill shifts up to the horizon with `bot.services.assignments.extend_assignments` when it exists."""
    try:
        from bot.services import assignments
    except ModuleNotFoundError as exc:
        if exc.name != "bot.services.assignments":
            raise
        return None, None
    fn = assignments.extend_assignments
    try:
        takes_now = len(inspect.signature(fn).parameters) >= 4
        result = fn(ctx, session, schedule, now) if takes_now else fn(ctx, session, schedule)
        session.flush()
        return (result if isinstance(result, int) else None), None
    except Exception as exc:  # assignment trouble must not stop the export of existing shifts
        session.rollback()  # (called first thing in a fresh session: nothing else is lost)
        log.exception("extending assignments of schedule %s failed", schedule.id)
        return None, f"assigning new shifts failed ({type(exc).__name__}); existing shifts are exported"


def _refresh_homes(ctx: Context, client: WebClient, team_id: str) -> None:
    try:
        from bot.services.home import refresh_homes

        refresh_homes(ctx, client, team_id)
    except Exception:
        log.exception("refreshing App Home after a sync failed")


# ---------------------------------------------------------------- providers


@contextmanager
def provider_for(ctx: Context, conn: Connection) -> Iterator[Provider]:
    """A provider client for `conn` whose every HTTP request goes through the connection's token bucket."""
    key = ctx.keys.decrypt(conn.api_key_encrypted)
    register_secret(key)
    own = ctx.http_client is None
    http = ctx.http_client or httpx.Client()
    throttled = ThrottledClient(http, bucket_for(conn.provider, conn.id, ctx.sleep))
    try:
        yield make_provider(conn.provider, conn.region, key,
                            base_url=ctx.settings.provider_base_url(conn.provider, conn.region),
                            client=throttled,  # type: ignore[arg-type]
                            timeout=ctx.settings.provider_timeout_seconds, sleep=ctx.sleep)
    finally:
        if own:
            http.close()


def _label(dest: Destination, conn: Connection | None) -> str:
    name = dest.provider_schedule_name or dest.provider_schedule_id
    if conn is None:
        return f"{name} (connection removed)"
    try:
        kind = ProviderKind(conn.provider).label
    except ValueError:
        kind = conn.provider
    return f"{name} ({kind} · {conn.name})"


def _kind_label(conn: Connection) -> str:
    try:
        return ProviderKind(conn.provider).label
    except ValueError:
        return conn.provider


# ---------------------------------------------------------------- planning helpers


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


def _cap_mark(mark: datetime | None, old: datetime | None, inputs: DestinationInputs) -> datetime | None:
    """The mark never passes a shift that could not be exported (a member without an account)."""
    blocked = [u.start for u in inputs.unexportable if old is None or u.end > old]
    if mark is None or not blocked:
        return mark
    cap = min(blocked)
    if old is not None:
        cap = max(cap, old)
    return min(mark, cap)


def _namer(session: Session, inputs: DestinationInputs, connection_id: int):
    cache = {p.user_id: p for p in session.exec(select(ProviderUser).where(ProviderUser.connection_id == connection_id))}

    def name(user_id: str) -> str:
        member_id = inputs.provider_user_to_member.get(user_id)
        member = inputs.members.get(member_id) if member_id is not None else None
        if member is not None:
            return f"<@{member.slack_user_id}>" if member.slack_user_id else (member.name or member.email)
        known = cache.get(user_id)
        if known is not None:
            return known.name or known.email or user_id
        return user_id

    return name


def _plan_only(ctx: Context, session: Session, schedule: Schedule, dest: Destination, now: datetime,
               only: set[str] | None) -> DestinationReport:
    conn = session.get(Connection, dest.connection_id)
    label = _label(dest, conn)
    if conn is None:
        return DestinationReport(dest.id, label, status=DestinationStatus.ERROR.value,
                                 error="the connection was removed", exported_until=dest.exported_until)
    horizon_end = now + timedelta(days=schedule.horizon_days)
    with provider_for(ctx, conn) as provider:
        try:
            inputs = destination_inputs(session, schedule, dest, now, provider_label=_kind_label(conn),
                                        refresh=provider.list_users)
            remote = provider.list_overrides(dest.provider_schedule_id,
                                             *listing_window(inputs.shifts, now, horizon_end))
        except ProviderError as exc:
            return DestinationReport(dest.id, label, status=dest.status, error=str(exc),
                                     exported_until=dest.exported_until)
    plan = plan_export(inputs.shifts, exported_records(session, dest.id), remote, dest.exported_until, now,
                       horizon_end, destination_key=destination_key(dest))
    if only is not None:
        plan = restrict(plan, only)
    name = _namer(session, inputs, conn.id)
    lines = tuple(plan.lines())
    names = {ln.user_id: name(ln.user_id) for ln in lines}
    error = "; ".join(inputs.problems) or None
    if conn.can_write is False:
        error = f"the API key of {conn.name} is read-only: nothing can be exported" + (f"; {error}" if error else "")
    mark = _cap_mark(plan.new_exported_until, dest.exported_until, inputs)
    return DestinationReport(dest.id, label, created=len(plan.creates), deleted=len(plan.deletes),
                             adopted=len(plan.adopt), unchanged=_unchanged(inputs, plan, horizon_end),
                             exported_until=mark, status=dest.status, error=error, lines=lines, names=names)


def _unchanged(inputs: DestinationInputs, plan: Plan, horizon_end: datetime) -> int:
    touched = {c.shift_id for c in plan.creates} | {a.shift_id for a in plan.adopt}
    return sum(1 for s in inputs.shifts if s.start < horizon_end and s.shift_id not in touched)


# ---------------------------------------------------------------- one destination


@dataclass
class _Outcome:
    """What a destination run found, before it is written back."""

    mark: datetime | None
    unexported: list[datetime] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    provider_failed: str | None = None
    read_only: str | None = None
    items: list[DriftItem] | None = None  # None: drift not checked this run
    created: int = 0
    deleted: int = 0
    adopted: int = 0
    unchanged: int = 0


def _sync_destination(ctx: Context, client: WebClient | None, schedule: Schedule, dest_id: int, now: datetime,
                      only: set[str] | None) -> DestinationReport:
    with session_scope(ctx.engine) as session:
        dest = session.get(Destination, dest_id)
        conn = session.get(Connection, dest.connection_id) if dest else None
    if dest is None:
        return DestinationReport(dest_id, "removed destination", status=DestinationStatus.ERROR.value)
    label = _label(dest, conn)
    if conn is None:
        out = _Outcome(dest.exported_until, provider_failed="the connection of this destination was removed")
        return _finish(ctx, client, schedule, dest_id, label, now, out, None)
    if conn.can_write is False:
        out = _Outcome(dest.exported_until, read_only=(
            f"The API key of connection {conn.name} is read-only: the bot can read this schedule but never "
            "writes to it. Connect a key with write access to export."))
        return _finish(ctx, client, schedule, dest_id, label, now, out, None)
    with provider_for(ctx, conn) as provider:
        out, inputs = _export(ctx, provider, schedule, dest, conn, now, only)
        if out.items and schedule.drift_mode == DriftMode.AUTO.value and only is None:
            out = _auto_reapply(ctx, provider, schedule, dest_id, conn, now, out)
    return _finish(ctx, client, schedule, dest_id, label, now, out, inputs)


def _export(ctx: Context, provider: Provider, schedule: Schedule, dest: Destination, conn: Connection,
            now: datetime, only: set[str] | None) -> tuple[_Outcome, DestinationInputs | None]:
    horizon_end = now + timedelta(days=schedule.horizon_days)
    old_mark = dest.exported_until
    try:
        with session_scope(ctx.engine) as session:
            inputs = destination_inputs(session, schedule, dest, now, provider_label=_kind_label(conn),
                                        refresh=provider.list_users)
            records = exported_records(session, dest.id)
        remote = provider.list_overrides(dest.provider_schedule_id, *listing_window(inputs.shifts, now, horizon_end))
    except ProviderError as exc:
        return _Outcome(old_mark, unexported=[], problems=[str(exc)], provider_failed=str(exc)), None
    plan = plan_export(inputs.shifts, records, remote, old_mark, now, horizon_end,
                       destination_key=destination_key(dest))
    if only is not None:
        plan = restrict(plan, only)
    target = Target(dest.team_id, dest.id, conn.id, dest.provider_schedule_id)
    result = apply_plan(ctx.engine, provider, target, plan)
    mark = advance_mark(plan, result.outcomes, old_mark)
    if only is None:
        mark = _cap_mark(mark, old_mark, inputs)
    out = _Outcome(mark, created=len(result.created), deleted=len(result.deleted), adopted=result.adopted,
                   unchanged=_unchanged(inputs, plan, horizon_end))
    out.unexported = _unexported(plan, result, inputs, mark, horizon_end)
    out.problems = [*result.errors, *inputs.problems]
    out.read_only = result.read_only
    if result.errors:
        out.provider_failed = result.errors[-1]
    if result.read_only or result.stopped or schedule.drift_mode == DriftMode.OFF.value:
        return out, inputs
    if mark is None or mark <= now:
        out.items = []
        return out, inputs
    try:
        rendered = provider.rendered(dest.provider_schedule_id, now, mark)
    except ProviderError as exc:
        out.problems.append(f"reading back what {_kind_label(conn)} will page failed: {exc}")
        out.provider_failed = str(exc)
        return out, inputs
    with session_scope(ctx.engine) as session:
        records_now = exported_records(session, dest.id)
        acked = alerts.acknowledged_keys(session, dest.id)
    out.items = detect_drift(inputs.shifts, rendered, overrides_after(remote, result, now), records_now, now, mark,
                             acknowledged=acked)
    return out, inputs


def _unexported(plan: Plan, result: ApplyResult, inputs: DestinationInputs, mark: datetime | None,
                horizon_end: datetime) -> list[datetime]:
    failed = {c.shift_id for c in plan.creates if c.alias not in result.created}
    starts = [s.start for s in inputs.shifts
              if s.start < horizon_end and (s.shift_id in failed or mark is None or s.end > mark)]
    starts += [u.start for u in inputs.unexportable if u.start < horizon_end]
    return starts


def bump_shift_versions(session: Session, pairs: Collection[tuple[int, int]], actor: str, action: str,
                        team_id: str, schedule_id: int) -> list[int]:
    """Bump the version of each (shift id, version) still at that version; returns the bumped ids."""
    bumped = []
    for shift_id, version in pairs:
        shift = session.get(Shift, shift_id)
        if shift is None or shift.version != version:
            continue
        shift.version += 1
        bumped.append(shift_id)
    if bumped:
        session.add(AuditEvent(team_id=team_id, actor=actor, action=action, schedule_id=schedule_id,
                               detail="shifts " + ",".join(map(str, bumped))))
    session.flush()
    return bumped


def _auto_reapply(ctx: Context, provider: Provider, schedule: Schedule, dest_id: int, conn: Connection,
                  now: datetime, first: _Outcome) -> _Outcome:
    """Drift mode auto: bump the drifting shifts and re-export them at once (one round)."""
    with session_scope(ctx.engine) as session:
        bumped = bump_shift_versions(session, {(int(i.shift_id), i.version) for i in first.items or []},
                                     "oncall-bot", "drift.auto_reapply", schedule.team_id, schedule.id)
        dest = session.get(Destination, dest_id)
        dest.exported_until = first.mark
    if not bumped:
        return first
    again, _ = _export(ctx, provider, schedule, dest, conn, now, {str(i) for i in bumped})
    again.created += first.created
    again.deleted += first.deleted
    again.adopted += first.adopted
    again.unchanged = first.unchanged
    again.unexported = first.unexported
    again.problems = [*first.problems, *again.problems]
    again.provider_failed = again.provider_failed or first.provider_failed
    return again


def _finish(ctx: Context, client: WebClient | None, schedule: Schedule, dest_id: int, label: str, now: datetime,
            out: _Outcome, inputs: DestinationInputs | None) -> DestinationReport:
    """Write the destination's mark, status and error; alerts and outage notices."""
    with session_scope(ctx.engine) as session:
        dest = session.get(Destination, dest_id)
        sched = session.get(Schedule, schedule.id) or schedule
        if out.provider_failed is not None and inputs is None and not out.read_only:
            # nothing could be planned: everything not yet exported stays unexported
            out.unexported = [s.start for s in session.exec(
                select(Shift).where(Shift.schedule_id == sched.id, Shift.role == dest.role, Shift.end > now,
                                    Shift.start < now + timedelta(days=sched.horizon_days)))
                if dest.exported_until is None or s.end > dest.exported_until]
        status, error = destination_status(StatusInput(now, out.mark, out.unexported, out.problems, out.read_only))
        dest.exported_until, dest.last_sync_at = out.mark, now
        dest.status, dest.last_error = status.value, error
        if out.provider_failed is not None and not out.read_only:
            alerts.note_failure(client, sched, dest, label, out.provider_failed, now)
        else:
            alerts.note_success(client, sched, dest, label)
        if sched.drift_mode != DriftMode.ALERT.value:
            alerts.resolve_open(session, client, sched, dest)
        elif out.items is not None and inputs is not None:
            name = _namer(session, inputs, dest.connection_id)
            alerts.update_drift_alert(session, client, sched, dest, label, out.items,
                                      drift_fingerprint(out.items), name)
        return DestinationReport(dest.id, label, created=out.created, deleted=out.deleted, adopted=out.adopted,
                                 unchanged=out.unchanged, exported_until=out.mark, status=status.value,
                                 error=error, drifting=len(out.items or []))
