"""Channel messages of the sync: one drift alert per destination and distinct drift, outage notices.
They are told through a `bot.events.Notify` (None: nothing is told); `bot.notify` makes the messages.

Drift alerts (`DriftAlert` rows): at most one *open* alert per destination. Its `fingerprint`
is `drift_fingerprint` of the current drift: the same drift is never re-posted, a changed
drift updates the message (chat.update), no drift resolves it. `detail` (JSON) keeps what the
buttons need: the shifts (id, version), who the provider pages, and the acknowledgement keys.
"Keep provider version" turns an alert `kept`; the `ack_keys` of kept alerts are what
`detect_drift(acknowledged=…)` suppresses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.events import DriftAlertChanged, DriftAlertModel, DriftLine, Notify, OutageBegan, OutageEnded
from bot.store.models import Destination, DriftAlert, Schedule
from bot.store.types import utcnow
from bot.sync.drift import DriftItem, covers_whole_shift

log = logging.getLogger(__name__)
OUTAGE_THRESHOLD = timedelta(hours=1)
OPEN, RESOLVED, KEPT, REAPPLIED = "open", "resolved", "kept", "reapplied"

Namer = Callable[[str], str]  # provider user id -> Slack mention or name


@dataclass(frozen=True)
class AlertChange:
    alert_id: int
    action: str  # "posted" | "updated" | "resolved" | "unchanged"


def _item_json(item: DriftItem, name: Namer) -> dict:
    return {
        "shift_id": item.shift_id,
        "version": item.version,
        "start": item.start.isoformat(),
        "end": item.end.isoformat(),
        "assigned_user_id": item.assigned_user_id,
        "assigned": name(item.assigned_user_id),
        "paged": [name(u) for u in item.paged_user_ids] if item.paged_user_ids else [],
        "causes": list(dict.fromkeys(s.cause.value for s in item.differing if s.cause)),
        "whole_shift_user": covers_whole_shift(item),
        "ack_keys": list(item.ack_keys),
    }


def detail_of(alert: DriftAlert) -> dict:
    return _parsed(alert.detail)


def _parsed(detail: str | None) -> dict:
    try:
        value = json.loads(detail or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def alert_model(alert: DriftAlert, schedule: Schedule, decided_by: str | None = None) -> DriftAlertModel:
    d = detail_of(alert)
    lines = tuple(
        DriftLine(datetime.fromisoformat(i["start"]), datetime.fromisoformat(i["end"]), i["assigned"],
                  tuple(i["paged"]), tuple(i["causes"]))
        for i in d.get("items", [])
    )
    return DriftAlertModel(alert.id, schedule.name, schedule.time_zone, d.get("destination", ""), lines,
                           alert.status, decided_by)


def acknowledged_keys(session: Session, destination_id: int) -> set[str]:
    """Everything "Keep provider version" acknowledged at this destination."""
    keys: set[str] = set()
    for alert in session.exec(select(DriftAlert).where(DriftAlert.destination_id == destination_id,
                                                       DriftAlert.status == KEPT)):
        keys.update(detail_of(alert).get("ack_keys", []))
    return keys


def alert_state(session: Session, destination_id: int) -> tuple[bool, set[str]]:
    """Whether the destination has an open alert, and its acknowledged keys (`acknowledged_keys`):
    one query, for the read a sync run makes before it asks the provider."""
    is_open, keys = False, set()
    for status, detail in session.exec(select(DriftAlert.status, DriftAlert.detail).where(
            DriftAlert.destination_id == destination_id, DriftAlert.status.in_((OPEN, KEPT)))):
        if status == OPEN:
            is_open = True
        else:
            keys.update(_parsed(detail).get("ack_keys", []))
    return is_open, keys


def open_alert(session: Session, destination_id: int) -> DriftAlert | None:
    return session.exec(select(DriftAlert).where(DriftAlert.destination_id == destination_id,
                                                 DriftAlert.status == OPEN).order_by(DriftAlert.id)).first()


def post_or_update(notify: Notify | None, alert: DriftAlert, schedule: Schedule,
                   decided_by: str | None = None) -> None:
    """Post the alert (first time) or update its message; a failed delivery leaves it unposted."""
    if notify is None or not alert.channel_id:
        return
    sent = notify(DriftAlertChanged(alert.channel_id, alert.message_ts, alert_model(alert, schedule, decided_by)))
    if sent is not None and not alert.message_ts:
        alert.message_ts, alert.channel_id = sent.ts, sent.channel or alert.channel_id


def update_drift_alert(
    session: Session,
    notify: Notify | None,
    schedule: Schedule,
    dest: Destination,
    destination_label: str,
    items: Sequence[DriftItem],
    fingerprint: str,
    name: Namer,
) -> AlertChange | None:
    """Bring the destination's open alert in line with `items` (see the module docstring)."""
    alert = open_alert(session, dest.id)
    now = utcnow()
    if not items:
        if alert is None:
            return None
        alert.status, alert.updated_at = RESOLVED, now
        session.flush()
        post_or_update(notify, alert, schedule)
        return AlertChange(alert.id, "resolved")
    if alert is not None and alert.fingerprint == fingerprint and (alert.message_ts or notify is None
                                                                   or not alert.channel_id):
        return AlertChange(alert.id, "unchanged")
    action = "updated" if alert is not None and alert.message_ts else "posted"
    if alert is None:
        alert = DriftAlert(team_id=schedule.team_id, schedule_id=schedule.id, destination_id=dest.id,
                           fingerprint=fingerprint, channel_id=schedule.channel_id)
        session.add(alert)
    detail = {"destination": destination_label, "items": [_item_json(i, name) for i in items],
              "ack_keys": sorted({k for i in items for k in i.ack_keys})}
    alert.fingerprint, alert.detail, alert.updated_at = fingerprint, json.dumps(detail), now
    session.flush()
    post_or_update(notify, alert, schedule)
    session.flush()
    return AlertChange(alert.id, action)


def resolve_open(session: Session, notify: Notify | None, schedule: Schedule, dest: Destination) -> None:
    """Drift mode off / auto: an open alert is no longer the channel's business."""
    alert = open_alert(session, dest.id)
    if alert is not None:
        alert.status, alert.updated_at = RESOLVED, utcnow()
        session.flush()
        post_or_update(notify, alert, schedule)


# ---------------------------------------------------------------- outages


def note_failure(notify: Notify | None, schedule: Schedule, dest: Destination, label: str, error: str,
                 now: datetime, threshold: timedelta = OUTAGE_THRESHOLD) -> bool:
    """Record that the destination failed this run; alert the channel once past `threshold`.
    Returns True when the alert was sent now."""
    dest.failing_since = dest.failing_since or now
    if dest.outage_alerted or now - dest.failing_since < threshold:
        return False
    if notify is not None and schedule.channel_id and notify(
            OutageBegan(schedule.channel_id, schedule.name, label, dest.failing_since, error)) is not None:
        dest.outage_alerted = True
        return True
    return False


def note_success(notify: Notify | None, schedule: Schedule, dest: Destination, label: str) -> bool:
    """The destination works (again): clear the failure; say so if an outage was announced."""
    announced = dest.outage_alerted
    dest.failing_since, dest.outage_alerted = None, False
    if announced and notify is not None and schedule.channel_id:
        notify(OutageEnded(schedule.channel_id, schedule.name, label))
    return announced
