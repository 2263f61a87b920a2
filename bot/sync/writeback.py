"""The end of a destination run: its mark, status and error written back (the status in words by
`bot.sync.status`), outage notices and the drift alert (`bot.sync.alerts`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from bot.context import Context
from bot.events import Notify
from bot.store import session_scope
from bot.store.models import Destination, Schedule, Shift
from bot.sync import alerts
from bot.sync.export import DestinationResult
from bot.sync.inputs import DestinationInputs
from bot.sync.readback import alert_drift
from bot.sync.report import DestinationReport
from bot.sync.status import StatusInput, destination_status


def write_back(ctx: Context, notify: Notify | None, schedule: Schedule, dest_id: int, label: str, now: datetime,
               out: DestinationResult, inputs: DestinationInputs | None) -> DestinationReport:
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
        status, error = destination_status(StatusInput(now, out.mark, out.unexported, out.problems, out.read_only,
                                                       out.rate_limited))
        dest.exported_until, dest.last_sync_at = out.mark, now
        dest.status, dest.last_error = status.value, error
        if out.provider_failed is not None and not out.read_only:
            alerts.note_failure(notify, sched, dest, label, out.provider_failed, now)
        else:
            alerts.note_success(notify, sched, dest, label)
        alert_drift(session, notify, sched, dest, label, out.items, inputs)
        return DestinationReport(dest.id, label, created=out.created, deleted=out.deleted, adopted=out.adopted,
                                 unchanged=out.unchanged, exported_until=out.mark, status=status.value,
                                 error=error, drifting=len(out.items or []))
