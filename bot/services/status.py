"""Read models of schedules for `status`, `who` and App Home (plain dataclasses, no Slack)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.context import Context
from bot.providers import ProviderKind
from bot.services import authz, workspace
from bot.store import Connection, Destination, Member, Schedule, Shift, session_scope


@dataclass(frozen=True)
class MemberLine:
    name: str
    email: str
    slack_user_id: str | None


@dataclass(frozen=True)
class ShiftLine:
    schedule_name: str
    role: str
    start: datetime
    end: datetime
    member_name: str
    slack_user_id: str | None


@dataclass(frozen=True)
class DestinationLine:
    provider: str  # "PagerDuty"
    schedule_name: str
    connection_name: str
    status: str
    exported_until: datetime | None
    last_sync_at: datetime | None
    last_error: str | None
    role: str = "primary"  # the role exported there


@dataclass(frozen=True)
class ScheduleStatus:
    id: int
    name: str
    source: str  # "PagerDuty · Acme"
    time_zone: str
    rotation: str
    horizon_days: int
    channel_id: str | None
    members: tuple[MemberLine, ...]
    next_shifts: tuple[ShiftLine, ...]
    destinations: tuple[DestinationLine, ...]
    usergroup: str | None = None  # the on-call user group's state (`ok: …`, `error: …`), None: no group
    managers: tuple[str, ...] = ()  # Slack user ids


def _label(provider: str) -> str:
    try:
        return ProviderKind(provider).label
    except ValueError:
        return provider


def active_members(session: Session, schedule_id: int) -> list[Member]:
    return list(session.exec(
        select(Member).where(Member.schedule_id == schedule_id, Member.left_at.is_(None)).order_by(Member.position)
    ))


def shifts_between(session: Session, schedule: Schedule, since: datetime, limit: int,
                   slack_user_id: str | None = None) -> list[ShiftLine]:
    """Shifts of a schedule that end after `since`, in start order (optionally one person's)."""
    query = (
        select(Shift, Member)
        .join(Member, Member.id == Shift.member_id, isouter=True)
        .where(Shift.schedule_id == schedule.id, Shift.end > since)
        .order_by(Shift.start)
        .limit(limit)
    )
    if slack_user_id:
        query = query.where(Member.slack_user_id == slack_user_id)
    return [
        ShiftLine(schedule.name, shift.role, shift.start, shift.end,
                  (member.name or member.email) if member else "nobody", member.slack_user_id if member else None)
        for shift, member in session.exec(query)
    ]


def build_statuses(session: Session, schedules: Sequence[Schedule], now: datetime,
                   shifts: int = 5) -> list[ScheduleStatus]:
    """The status of these schedules (of one workspace) from one query per table, plus one per
    schedule for its next shifts when `shifts` is not 0."""
    if not schedules:
        return []
    ids = [s.id for s in schedules]
    conns = {c.id: c for c in session.exec(select(Connection).where(Connection.team_id == schedules[0].team_id))}
    dests: dict[int, list[Destination]] = {i: [] for i in ids}
    for d in session.exec(select(Destination).where(Destination.schedule_id.in_(ids)).order_by(Destination.id)):
        dests[d.schedule_id].append(d)
    members: dict[int, list[Member]] = {i: [] for i in ids}
    for m in session.exec(select(Member).where(Member.schedule_id.in_(ids), Member.left_at.is_(None))
                          .order_by(Member.position)):
        members[m.schedule_id].append(m)
    return [_status(s, conns, dests[s.id], members[s.id],
                    shifts_between(session, s, now, shifts) if shifts else []) for s in schedules]


def build_status(session: Session, schedule: Schedule, now: datetime, shifts: int = 5) -> ScheduleStatus:
    return build_statuses(session, [schedule], now, shifts)[0]


def _status(schedule: Schedule, conns: dict[int, Connection], dests: list[Destination], members: list[Member],
            next_shifts: list[ShiftLine]) -> ScheduleStatus:
    source = conns.get(schedule.connection_id)
    try:
        rotation = json.loads(schedule.pattern_json or "{}").get("summary") or "not imported"
    except ValueError:
        rotation = "not readable"
    return ScheduleStatus(
        id=schedule.id,
        name=schedule.name,
        source=f"{_label(source.provider)} · {source.name}" if source else "connection removed",
        time_zone=schedule.time_zone,
        rotation=rotation,
        horizon_days=schedule.horizon_days,
        channel_id=schedule.channel_id,
        members=tuple(MemberLine(m.name, m.email, m.slack_user_id) for m in members),
        next_shifts=tuple(next_shifts),
        destinations=tuple(
            DestinationLine(
                _label(conns[d.connection_id].provider) if d.connection_id in conns else "?",
                d.provider_schedule_name or d.provider_schedule_id,
                conns[d.connection_id].name if d.connection_id in conns else "removed",
                d.status, d.exported_until, d.last_sync_at, d.last_error, d.role,
            )
            for d in dests
        ),
        usergroup=(schedule.usergroup_status or f"pending: @{schedule.usergroup_handle}")
        if schedule.usergroup_handle else None,
        managers=authz.managers(schedule),
    )


def schedule_status(ctx: Context, team_id: str, name: str | None = None, schedule_id: int | None = None,
                    shifts: int = 5) -> list[ScheduleStatus]:
    """One schedule by name or id, or every schedule of the workspace."""
    with session_scope(ctx.engine) as session:
        if schedule_id is not None:
            schedules = [workspace.get_schedule(session, team_id, schedule_id)]
        elif name:
            schedules = [workspace.find_schedule(session, team_id, name)]
        else:
            schedules = workspace.schedules(session, team_id)
        return build_statuses(session, schedules, ctx.clock(), shifts)
