"""`sync_schedule`: one sync run of one schedule (extend, plan, apply, read back drift, alert).

    report = sync_schedule(ctx, schedule_id, notify=notify)        # alerts told through `notify`
    report = sync_schedule(ctx, schedule_id, only_shift_ids=[12, 13], wait=30)   # after a swap
    report = sync_schedule(ctx, schedule_id, dry_run=True)                       # /oncall plan

Under `try_lock(engine, schedule_id)`: a schedule is synced by one thread of one replica at a
time; a run that cannot take the lock returns a report with `skipped` set (or waits up to
`wait` seconds for it first). Per destination:

1. `bot.sync.export.export`: inputs from the database (`bot.sync.inputs`), the provider's
   overrides over the listing window, `plan_export`; with `only_shift_ids` the plan is cut
   down to those shifts' own items (nothing else is created, deleted or adopted, and the mark
   does not move); `apply_plan` (commits after every provider batch), `advance_mark`;
2. `bot.sync.readback`: drift read back over `[now, exported_until)` (`provider.rendered` + the
   overrides as they are after the apply); in drift mode auto the drifting shifts are bumped
   and exported once more here (`_auto_reapply`);
3. `bot.sync.writeback.write_back`: the destination's status, error in words, outage
   bookkeeping and, in drift mode alert, the channel alert (`bot.sync.alerts`). A run that
   changes none of it only moves `last_sync_at`: one UPDATE for all such destinations of the
   schedule once they are done (`touch`).

Each step reads what it needs once (the destination with its connection; the inputs, records and
alerts in one session) and passes it down: a no-work destination costs a handful of queries.

A dry run writes nothing: it works in one session that is rolled back at the end, and never
calls a provider write (`bot.sync.export.plan_only`). Reports are `bot.sync.report`'s.

Slack is not known here: alerts and outage notices go to `notify` (`bot.events`), and whoever
runs a sync for people (`bot.notify.sync.sync_and_notify`, the sync round) refreshes App Home
when the report says something changed.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlmodel import Session, select

from bot.context import Context
from bot.events import Notify
from bot.providers import Provider
from bot.store import session_scope
from bot.store.models import Connection, Destination, DestinationStatus, DriftMode, Schedule
from bot.sync import assignments
from bot.sync.access import export_refusal
from bot.sync.export import DestinationResult, export, plan_only
from bot.sync.locks import try_lock
from bot.sync.provider import destination_label
from bot.sync.readback import bump_shift_versions
from bot.sync.report import DestinationReport, SyncReport
from bot.sync.writeback import touch, write_back

log = logging.getLogger(__name__)
LOCK_POLL_SECONDS = 0.5


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
    notify: Notify | None = None,
    only_shift_ids: Collection[int] | None = None,
    dry_run: bool = False,
    wait: float = 0.0,
) -> SyncReport:
    """Sync one schedule now (see the module docstring). Drift alerts and outage notices are
    told through `notify`; without it nothing is told."""
    with _lock(ctx, schedule_id, wait) as got:
        if not got:
            with session_scope(ctx.engine) as session:
                sched = session.get(Schedule, schedule_id)
            return SyncReport(schedule_id, sched.name if sched else "", sched.time_zone if sched else "UTC",
                              dry_run=dry_run, skipped="another sync of this schedule is running")
        only = {str(i) for i in only_shift_ids} if only_shift_ids is not None else None
        if dry_run:
            return _dry_run(ctx, schedule_id, only)
        return _run(ctx, schedule_id, notify, only)


def _run(ctx: Context, schedule_id: int, notify: Notify | None, only: set[str] | None) -> SyncReport:
    now = ctx.clock()
    with session_scope(ctx.engine) as session:
        schedule = session.get(Schedule, schedule_id)
        if schedule is None:
            return SyncReport(schedule_id, skipped="the schedule no longer exists")
        assigned, assign_error = (None, None) if only is not None else _extend(ctx, session, schedule, now)
        if assign_error is not None:
            session.refresh(schedule)  # loaded again after the rolled-back extension, kept after the session
        dest_ids = list(session.exec(select(Destination.id).where(Destination.schedule_id == schedule_id)
                                     .order_by(Destination.id)))
    touched: list[int] = []  # destinations whose run changed nothing: only `last_sync_at` to write
    reports = tuple(_sync_destination(ctx, notify, schedule, d, now, only, touched) for d in dest_ids)
    touch(ctx, touched, now)
    report = SyncReport(schedule.id, schedule.name, schedule.time_zone, reports, assigned=assigned,
                        assign_error=assign_error)
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
            reports.append(plan_only(ctx, session, schedule, dest, now, only))
        return SyncReport(schedule.id, schedule.name, schedule.time_zone, tuple(reports), dry_run=True,
                          assigned=assigned, assign_error=assign_error)
    finally:
        session.rollback()
        session.close()


def _destinations(session: Session, schedule_id: int) -> list[Destination]:
    return list(session.exec(select(Destination).where(Destination.schedule_id == schedule_id)
                             .order_by(Destination.id)))


def _extend(ctx: Context, session: Session, schedule: Schedule, now: datetime) -> tuple[int | None, str | None]:
    """Fill shifts up to the horizon (`extend_assignments`); trouble there is reported, not raised."""
    try:
        result = assignments.extend_assignments(ctx, session, schedule, now)
        session.flush()
        return result, None
    except Exception as exc:  # assignment trouble must not stop the export of existing shifts
        session.rollback()  # (called first thing in a fresh session: nothing else is lost)
        log.exception("extending assignments of schedule %s failed", schedule.id)
        return None, f"assigning new shifts failed ({type(exc).__name__}); existing shifts are exported"


# ---------------------------------------------------------------- one destination


def _sync_destination(ctx: Context, notify: Notify | None, schedule: Schedule, dest_id: int, now: datetime,
                      only: set[str] | None, touched: list[int]) -> DestinationReport:
    with session_scope(ctx.engine) as session:
        found = session.exec(select(Destination, Connection).where(Destination.id == dest_id)
                             .join(Connection, Connection.id == Destination.connection_id, isouter=True)).first()
    if found is None:
        return DestinationReport(dest_id, "removed destination", status=DestinationStatus.ERROR.value)
    dest, conn = found
    label = destination_label(dest, conn)
    if conn is None:
        out = DestinationResult(dest.exported_until, provider_failed="the connection of this destination was removed")
        return write_back(ctx, notify, schedule, dest, label, now, out, None)
    with ctx.provider(conn) as provider:
        refused = export_refusal(ctx.engine, provider, conn, dest)
        if refused is not None:
            why, read_only = refused
            out = (DestinationResult(dest.exported_until, read_only=why) if read_only
                   else DestinationResult(dest.exported_until, problems=[why], provider_failed=why))
            return write_back(ctx, notify, schedule, dest, label, now, out, None)
        out, inputs = export(ctx, provider, schedule, dest, conn, now, only)
        if out.items and schedule.drift_mode == DriftMode.AUTO.value and only is None:
            out = _auto_reapply(ctx, provider, schedule, dest_id, conn, now, out)
    return write_back(ctx, notify, schedule, dest, label, now, out, inputs, touched)


def _auto_reapply(ctx: Context, provider: Provider, schedule: Schedule, dest_id: int, conn: Connection,
                  now: datetime, first: DestinationResult) -> DestinationResult:
    """Drift mode auto: bump the drifting shifts and re-export them at once (one round)."""
    with session_scope(ctx.engine) as session:
        bumped = bump_shift_versions(session, {(int(i.shift_id), i.version) for i in first.items or []},
                                     "oncall-bot", "drift.auto_reapply", schedule.team_id, schedule.id)
        dest = session.get(Destination, dest_id)
        dest.exported_until = first.mark
    if not bumped:
        return first
    again, _ = export(ctx, provider, schedule, dest, conn, now, {str(i) for i in bumped})
    again.created += first.created
    again.deleted += first.deleted
    again.adopted += first.adopted
    again.unchanged = first.unchanged
    again.unexported = first.unexported
    again.problems = [*first.problems, *again.problems]
    again.provider_failed = again.provider_failed or first.provider_failed
    again.rate_limited = again.rate_limited or first.rate_limited
    return again


__all__ = ["sync_schedule"]
