"""Shift pattern edits of a schedule (handoff, length, zone, weekend split, holidays, roles).

Edits are stored under `pattern_json["pattern"]` (see `assignments.schedule_pattern`), the zone
in `Schedule.time_zone`, holidays in `Schedule.holidays`, the roles in `Schedule.roles`. After an
edit the future that is not exported yet is planned again (`extend_assignments`); shifts already
exported or started keep their times, and the new pattern takes over after them. Turning the
secondary role off drops its unexported future shifts; its destinations stay (they keep what was
exported and get nothing new) until someone removes them in the edit modal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.context import Context
from bot.rota.model import PRIMARY, SECONDARY
from bot.rota.pattern import ShiftPattern
from bot.services import workspace
from bot.services.errors import UserError
from bot.store import audit, session_scope
from bot.store.models import Destination, Member, Schedule, Shift
from bot.sync.assignments import extend_assignments, schedule_pattern, schedule_roles

ROLE_SETS = ((PRIMARY,), (PRIMARY, SECONDARY))


@dataclass(frozen=True)
class PatternEdit:
    handoff: time | None = None
    length_hours: float | None = None
    time_zone: str | None = None
    split_weekend: bool | None = None
    holidays: tuple[date, ...] | None = None
    roles: tuple[str, ...] | None = None  # one of ROLE_SETS

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.handoff, self.length_hours, self.time_zone, self.split_weekend,
                                       self.holidays, self.roles))


@dataclass(frozen=True)
class PatternResult:
    schedule_name: str
    changes: tuple[str, ...]  # "handoff 09:00 → 10:00"
    replanned: int
    summary: tuple[str, ...]  # the pattern now, one field a line
    notes: tuple[str, ...] = ()  # what a change of roles means for shifts and destinations


def length_text(hours: float) -> str:
    if hours % 24 == 0:
        days = int(hours // 24)
        return {1: "1 day (daily)", 7: "7 days (weekly)"}.get(days, f"{days} days")
    return f"{hours:g} hours"


def summary(pattern: ShiftPattern, holidays: str) -> tuple[str, ...]:
    hours = pattern.length.total_seconds() / 3600
    return (
        f"Handoff: {pattern.handoff:%H:%M} ({pattern.time_zone})",
        f"Length: {length_text(hours)}",
        f"Weekend as its own shift: {'on' if pattern.split_weekend else 'off'}",
        f"Holidays: {holidays.replace(',', ', ') if holidays else 'none'}",
        f"Roles: {', '.join(pattern.roles)}",
        *(["Coverage restrictions from the provider apply (edit any field to drop them)"]
          if pattern.restrictions else []),
    )


def members_of(session: Session, schedule: Schedule, now: datetime) -> list[Member]:
    rows = session.exec(select(Member).where(Member.schedule_id == schedule.id)).all()
    return [m for m in rows if m.left_at is None or m.left_at > now]


def current_summary(engine: Engine, team_id: str, schedule_id: int, now: datetime) -> tuple[str, ...]:
    """The schedule's pattern in words (`/oncall pattern <schedule>`)."""
    with session_scope(engine) as session:
        schedule = workspace.get_schedule(session, team_id, schedule_id)
        return summary(schedule_pattern(schedule, members_of(session, schedule, now)), schedule.holidays)


def edit_pattern(ctx: Context, team_id: str, schedule_id: int, actor: str, edit: PatternEdit,
                 now: datetime | None = None) -> PatternResult:
    """Apply `edit`, validate the result, re-plan the unexported future; returns what changed."""
    with session_scope(ctx.engine) as session:
        schedule = workspace.get_schedule(session, team_id, schedule_id)
        return _edit(ctx, session, schedule, actor, edit, now or ctx.clock())


def _edit(ctx: Context, session: Session, schedule: Schedule, actor: str, edit: PatternEdit,
          now: datetime) -> PatternResult:
    members = members_of(session, schedule, now)
    before = schedule_pattern(schedule, members)
    data = json.loads(schedule.pattern_json or "{}")
    edits = dict(data.get("pattern") or {})
    changes: list[str] = []
    if edit.handoff is not None and edit.handoff != before.handoff:
        changes.append(f"handoff {before.handoff:%H:%M} → {edit.handoff:%H:%M}")
    if edit.handoff is not None:
        edits["handoff"] = edit.handoff.strftime("%H:%M")
    old_hours = before.length.total_seconds() / 3600
    if edit.length_hours is not None:
        if edit.length_hours != old_hours:
            changes.append(f"length {length_text(old_hours)} → {length_text(edit.length_hours)}")
        edits["length_hours"] = edit.length_hours
    if edit.split_weekend is not None:
        if edit.split_weekend != before.split_weekend:
            changes.append(f"weekend split {'on' if edit.split_weekend else 'off'}")
        edits["split_weekend"] = edit.split_weekend
    if edit.time_zone is not None and edit.time_zone != schedule.time_zone:
        changes.append(f"time zone {schedule.time_zone} → {edit.time_zone}")
        schedule.time_zone = edit.time_zone
    if edit.holidays is not None:
        text = ",".join(d.isoformat() for d in sorted(set(edit.holidays)))
        if text != schedule.holidays:
            changes.append(f"holidays {text.replace(',', ', ') or 'none'}")
        schedule.holidays = text
    old_roles = schedule_roles(schedule)
    if edit.roles is not None and edit.roles != old_roles:
        if SECONDARY in edit.roles and len(members) < 2:
            raise UserError("A secondary role needs at least two members: one person never holds both roles "
                            "at once. Add people with `/oncall edit` first.")
        changes.append(f"roles {', '.join(old_roles)} → {', '.join(edit.roles)}")
        schedule.roles = ",".join(edit.roles)
    if edits:
        # the first edit pins the imported handoff and length, so they survive later edits
        edits.setdefault("handoff", before.handoff.strftime("%H:%M"))
        edits.setdefault("length_hours", old_hours)
        data["pattern"] = edits
        schedule.pattern_json = json.dumps(data)
    try:
        after = schedule_pattern(schedule, members)
    except ValueError as exc:
        raise UserError(f"That pattern does not work: {exc}.") from None
    if not changes:
        return PatternResult(schedule.name, (), 0, summary(after, schedule.holidays))
    session.add(schedule)
    audit.record(session, schedule.team_id, actor, "schedule.pattern", schedule_id=schedule.id,
                 detail="; ".join(changes), at=now)
    session.flush()
    secondary_before = _live_count(session, schedule, SECONDARY, now)
    replanned = extend_assignments(ctx, session, schedule, now)
    notes = ()
    if after.roles != old_roles:
        notes = _role_notes(session, schedule, after.roles, secondary_before, now)
    return PatternResult(schedule.name, tuple(changes), replanned, summary(after, schedule.holidays), notes)


def _live_count(session: Session, schedule: Schedule, role: str, now: datetime) -> int:
    return len(session.exec(select(Shift.id).where(Shift.schedule_id == schedule.id, Shift.role == role,
                                                   Shift.end > now)).all())


def _role_notes(session: Session, schedule: Schedule, roles: tuple[str, ...], secondary_before: int,
                now: datetime) -> tuple[str, ...]:
    """What turning the secondary role on or off did to its shifts, and what its destinations get."""
    dests = session.exec(select(Destination).where(Destination.schedule_id == schedule.id,
                                                   Destination.role == SECONDARY).order_by(Destination.id)).all()
    names = ", ".join(d.provider_schedule_name or d.provider_schedule_id for d in dests)
    live = _live_count(session, schedule, SECONDARY, now)
    edit = f"`/oncall edit {schedule.name}`"
    if SECONDARY in roles:
        where = (f"the next sync exports them to {names}." if dests else
                 f"they are exported nowhere yet: pick *Secondary destinations* in {edit}, provider schedules "
                 "of their own (one provider schedule pages everyone in it, so it never serves both roles).")
        return (f"Secondary shifts assigned: {live}; {where}",)
    notes = [f"Removed {secondary_before - live} secondary shift(s) that were not exported yet."]
    if live:
        notes.append(f"{live} secondary shift(s) already exported or started stay until they end.")
    if dests:
        notes.append(f"Secondary destinations kept: {names}. They keep what was exported and get nothing new; "
                     f"remove them in {edit}.")
    return tuple(notes)
