"""The end of a destination run: its mark, status and error written back (the status in words by
`bot.sync.status`), outage notices and the drift alert (`bot.sync.alerts`).

A run that changes nothing (same mark, status and error, no outage to clear, no drift alert to
open, update or resolve) writes no row of its own: only its `last_sync_at`, which `/oncall status`
shows, and that is written for all such destinations of a schedule in one statement (`touch`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from bot.context import Context
from bot.events import Notify
from bot.store import session_scope
from bot.store.models import Destination, DestinationStatus, Schedule, Shift
from bot.sync import alerts
from bot.sync.export import DestinationResult
from bot.sync.inputs import DestinationInputs
from bot.sync.readback import alert_drift
from bot.sync.report import DestinationReport
from bot.sync.status import StatusInput, destination_status


def write_back(ctx: Context, notify: Notify | None, schedule: Schedule, seen: Destination, label: str, now: datetime,
               out: DestinationResult, inputs: DestinationInputs | None,
               touched: list[int] | None = None) -> DestinationReport:
    """Write the destination's mark, status and error; alerts and outage notices. `seen` is the
    destination as read at the start of the run. When nothing changes and `touched` is given,
    the destination's id is added to it for `touch` instead of writing."""
    status, error = destination_status(StatusInput(now, out.mark, out.unexported, out.problems, out.read_only,
                                                   out.rate_limited))
    if touched is not None and _nothing_changes(seen, out, status.value, error):
        touched.append(seen.id)
        return _report(seen.id, label, out, status.value, error)
    with session_scope(ctx.engine) as session:
        dest = session.get(Destination, seen.id)
        sched = session.get(Schedule, schedule.id) or schedule
        if dest is None:
            return DestinationReport(seen.id, "removed destination", status=DestinationStatus.ERROR.value)
        if out.provider_failed is not None and inputs is None and not out.read_only:
            # nothing could be planned: everything not yet exported stays unexported
            out.unexported = [s.start for s in session.exec(
                select(Shift).where(Shift.schedule_id == sched.id, Shift.role == dest.role, Shift.end > now,
                                    Shift.start < now + timedelta(days=sched.horizon_days)))
                if dest.exported_until is None or s.end > dest.exported_until]
            status, error = destination_status(StatusInput(now, out.mark, out.unexported, out.problems,
                                                           out.read_only, out.rate_limited))
        dest.exported_until, dest.last_sync_at = out.mark, now
        dest.status, dest.last_error = status.value, error
        if out.provider_failed is not None and not out.read_only:
            alerts.note_failure(notify, sched, dest, label, out.provider_failed, now)
        else:
            alerts.note_success(notify, sched, dest, label)
        alert_drift(session, notify, sched, dest, label, out.items, inputs)
        return _report(dest.id, label, out, status.value, error)


def _nothing_changes(seen: Destination, out: DestinationResult, status: str, error: str | None) -> bool:
    """The run leaves the destination's row and its alerts as they were (see the module docstring)."""
    succeeded = out.provider_failed is None or out.read_only is not None
    return (succeeded and out.open_alert is False and not out.items
            and seen.failing_since is None and not seen.outage_alerted
            and (seen.exported_until, seen.status, seen.last_error) == (out.mark, status, error))


def _report(dest_id: int, label: str, out: DestinationResult, status: str, error: str | None) -> DestinationReport:
    return DestinationReport(dest_id, label, created=out.created, deleted=out.deleted, adopted=out.adopted,
                             unchanged=out.unchanged, exported_until=out.mark, status=status,
                             error=error, drifting=len(out.items or []))


def touch(ctx: Context, dest_ids: Collection[int], now: datetime) -> None:
    """Set `last_sync_at` of these destinations to `now`, in one statement."""
    if not dest_ids:
        return
    with session_scope(ctx.engine) as session:
        session.execute(update(Destination).where(Destination.id.in_(list(dest_ids))).values(last_sync_at=now))
