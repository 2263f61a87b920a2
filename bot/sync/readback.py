"""Drift, per destination: read back what the provider will page over `[now, mark)` and diff it
with the shifts (`read_back`), keep the destination's drift alert in step (`alert_drift`), and
bump drifting shifts' versions so the next export re-applies them (`bump_shift_versions`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlmodel import Session

from bot.context import Context
from bot.events import Notify
from bot.providers import Provider, RemoteOverride
from bot.providers.base import RenderedShift
from bot.store import audit, session_scope
from bot.store.models import Destination, DriftMode, Schedule, Shift
from bot.sync import alerts
from bot.sync.drift import DriftItem, detect_drift, drift_fingerprint
from bot.sync.inputs import DestinationInputs, exported_records, user_namer
from bot.sync.model import ExportedRecord, ShiftToExport
from bot.sync.snapshot import clip, derived


def read_back(ctx: Context, provider: Provider, dest: Destination, shifts: Sequence[ShiftToExport],
              overrides: Sequence[RemoteOverride], now: datetime, mark: datetime | None,
              rendered: Sequence[RenderedShift] | None = None,
              records: Sequence[ExportedRecord] | None = None,
              acknowledged: Collection[str] | None = None) -> list[DriftItem]:
    """The drift of the exported range `[now, mark)`: what the provider pages there against the
    shifts and the overrides as they are after the apply (no second listing), acknowledged keys
    left out. What pages is `rendered` when given (read earlier in this run over a window holding
    that range, nothing written since), else follows from the overrides when only the bot's cover
    the range, one after another (`bot.sync.snapshot.derived`: newest-wins cannot matter there),
    else `provider.rendered`. `records` and `acknowledged` (the keys kept at `dest`), when given,
    were read earlier in this run and are not read again. Raises ProviderError."""
    if mark is None or mark <= now:
        return []
    if records is not None and acknowledged is not None:
        records_now, acked = list(records), set(acknowledged)
    else:
        with session_scope(ctx.engine) as session:
            records_now = list(records) if records is not None else exported_records(session, dest.id)
            acked = set(acknowledged) if acknowledged is not None else alerts.acknowledged_keys(session, dest.id)
    if rendered is not None:
        rendered = clip(rendered, now, mark)
    else:
        rendered = derived(overrides, {r.override_id for r in records_now}, now, mark)
        if rendered is None:
            rendered = provider.rendered(dest.provider_schedule_id, now, mark)
    return detect_drift(shifts, rendered, overrides, records_now, now, mark, acknowledged=acked)


def alert_drift(session: Session, notify: Notify | None, sched: Schedule, dest: Destination, label: str,
                items: list[DriftItem] | None, inputs: DestinationInputs | None) -> None:
    """Drift mode alert: open, update or resolve the destination's alert (`items` None: drift was
    not checked this run, the alert stays). Other modes: resolve any open alert."""
    if sched.drift_mode != DriftMode.ALERT.value:
        alerts.resolve_open(session, notify, sched, dest)
    elif items is not None and inputs is not None:
        name = user_namer(session, inputs, dest.connection_id)
        alerts.update_drift_alert(session, notify, sched, dest, label, items, drift_fingerprint(items), name)


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
        audit.record(session, team_id, actor, action, schedule_id=schedule_id,
                     detail="shifts " + ",".join(map(str, bumped)))
    session.flush()
    return bumped
