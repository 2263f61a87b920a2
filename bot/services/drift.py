"""Decisions about drift (the alert buttons) and the per-schedule drift mode.

- `reapply_drift`: bump the versions of the drifting shifts (the caller re-exports just those now).
- `keep_drift`: acknowledge (the same drift is not alerted again); where a hand-made override
  covers a whole shift, record that person as assigned (no version bump: it is what the
  provider shows) so fairness accounting follows, with an audit event.
- `set_drift_mode`: alert (default), auto (re-apply without asking) or off.

Only the schedule's managers and workspace admins may decide (`bot.services.authz`, asked inside each
transaction before anything is written).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, select

from bot.context import Context
from bot.events import Notify
from bot.services import authz, workspace
from bot.services.authz import Action, Person
from bot.services.errors import UserError
from bot.store import audit, session_scope
from bot.store.models import (
    Destination,
    DriftAlert,
    DriftMode,
    Member,
    ProviderUser,
    Schedule,
    Shift,
)
from bot.store.types import utcnow
from bot.sync import alerts
from bot.sync.readback import bump_shift_versions

REEXPORT_WAIT_SECONDS = 30.0


def _open_alert(session: Session, team_id: str, alert_id: int, person: Person) -> tuple[DriftAlert, Schedule]:
    """The open alert and its schedule, once `person` may decide (NotAllowed otherwise)."""
    alert = session.get(DriftAlert, alert_id)
    if alert is None or alert.team_id != team_id:
        raise UserError("That drift alert no longer exists.")
    schedule = workspace.get_schedule(session, team_id, alert.schedule_id)
    authz.require(person, Action.DECIDE_DRIFT, schedule)
    if alert.status != alerts.OPEN:
        raise UserError(f"This drift was already handled ({alert.status}).")
    return alert, schedule


@dataclass(frozen=True)
class Decision:
    """What a drift decision changed: the caller re-exports `reexport` (shift ids) of the schedule."""

    schedule_id: int
    reexport: list[int]
    changes: list[str]  # one line per shift whose assignee changed ("Keep provider version")


def reapply_drift(ctx: Context, notify: Notify | None, team_id: str, alert_id: int, person: Person) -> Decision:
    """"Re-apply bot assignments": bump those shifts (to be re-exported now)."""
    actor = person.user_id
    with session_scope(ctx.engine) as session:
        alert, schedule = _open_alert(session, team_id, alert_id, person)
        items = alerts.detail_of(alert).get("items", [])
        bumped = bump_shift_versions(session, {(int(i["shift_id"]), int(i["version"])) for i in items}, actor,
                                     "drift.reapply", team_id, schedule.id)
        alert.status, alert.updated_at = alerts.REAPPLIED, utcnow()
        alerts.post_or_update(notify, alert, schedule, actor)
        return Decision(schedule.id, list(bumped), [])


def _member_for(session: Session, schedule: Schedule, dest: Destination, provider_user_id: str) -> Member | None:
    members = list(session.exec(select(Member).where(Member.schedule_id == schedule.id, Member.left_at.is_(None))))
    if dest.connection_id == schedule.connection_id:
        found = next((m for m in members if m.source_user_id == provider_user_id), None)
        if found:
            return found
    cached = session.exec(select(ProviderUser).where(ProviderUser.connection_id == dest.connection_id,
                                                     ProviderUser.user_id == provider_user_id)).first()
    if cached is None or not cached.email:
        return None
    return next((m for m in members if (m.email or "").lower() == cached.email.lower()), None)


def keep_drift(ctx: Context, notify: Notify | None, team_id: str, alert_id: int, person: Person) -> Decision:
    """"Keep provider version": record who the provider pages where it covers a whole shift."""
    actor = person.user_id
    changes: list[str] = []
    reexport: list[int] = []
    with session_scope(ctx.engine) as session:
        alert, schedule = _open_alert(session, team_id, alert_id, person)
        dest = session.get(Destination, alert.destination_id)
        others = session.exec(select(Destination).where(Destination.schedule_id == schedule.id,
                                                        Destination.id != alert.destination_id)).all()
        for item in alerts.detail_of(alert).get("items", []):
            user = item.get("whole_shift_user")
            shift = session.get(Shift, int(item["shift_id"]))
            if not user or dest is None or shift is None or shift.version != int(item["version"]):
                continue
            member = _member_for(session, schedule, dest, user)
            if member is None or member.id == shift.member_id:
                continue
            before = shift.member_id
            shift.member_id, shift.updated_at = member.id, utcnow()
            if any(o.role == shift.role for o in others):
                # other destinations of this role still page the old assignee: re-export there
                # (here the hand-made override matches and is adopted, not duplicated)
                shift.version += 1
                reexport.append(shift.id)
            changes.append(f"shift {shift.id}: member {before} → {member.id} ({member.name or member.email})")
        alert.status, alert.updated_at = alerts.KEPT, utcnow()
        audit.record(session, team_id, actor, "drift.keep", schedule_id=schedule.id,
                     detail=json.dumps({"alert": alert.id, "assigned": changes}), at=ctx.clock())
        alerts.post_or_update(notify, alert, schedule, actor)
        return Decision(schedule.id, reexport, changes)


def set_drift_mode(ctx: Context, team_id: str, name: str, mode: str | None, person: Person) -> tuple[str, str]:
    """Set (or, with `mode` None, read) a schedule's drift mode. Returns (schedule name, mode)."""
    with session_scope(ctx.engine) as session:
        schedule = workspace.find_schedule(session, team_id, name)
        if mode is None:
            return schedule.name, schedule.drift_mode
        try:
            value = DriftMode(mode.lower()).value
        except ValueError:
            raise UserError(f"`{mode}` is not a drift mode: use alert, auto or off.") from None
        authz.require(person, Action.DECIDE_DRIFT, schedule)
        schedule.drift_mode = value
        audit.record(session, team_id, person.user_id, "schedule.drift_mode",
                     schedule_id=schedule.id, detail=value, at=ctx.clock())
        return schedule.name, value
