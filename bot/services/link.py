"""Link a provider schedule: import name, members and rotation, map members to Slack users by email,
record destinations and the recent history, then hand over to assignment generation (`after_link`)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from bot.context import Context
from bot.providers import Provider, ProviderError, RemoteRotation, RemoteSchedule, RenderedShift
from bot.rota.fairness import membership_starts
from bot.services import workspace
from bot.services.directory import Directory
from bot.services.errors import Field, FieldError, UserError
from bot.store import (
    Connection,
    Destination,
    DestinationStatus,
    Member,
    ProviderUser,
    Schedule,
    Shift,
    audit,
    session_scope,
)
from bot.sync import assignments

log = logging.getLogger(__name__)

HISTORY_DAYS = 90
HORIZON_MIN, HORIZON_MAX = 1, 365


@dataclass(frozen=True)
class Target:
    """A provider schedule on a connection (a destination)."""

    connection_id: int
    schedule_id: str
    name: str = ""

    @property
    def value(self) -> str:
        return f"{self.connection_id}:{self.schedule_id}"

    @classmethod
    def parse(cls, value: str, name: str = "") -> Target:
        conn, _, sched = value.partition(":")
        return cls(int(conn), sched, name)


@dataclass(frozen=True)
class LinkRequest:
    connection_id: int
    provider_schedule_id: str
    horizon_days: int = 30
    channel_id: str | None = None
    extra_destinations: tuple[Target, ...] = ()


@dataclass(frozen=True)
class Unmapped:
    name: str
    email: str
    reason: str


@dataclass(frozen=True)
class LinkResult:
    schedule_id: int
    name: str
    mapped: tuple[tuple[str, str], ...]  # (provider name, Slack user id)
    unmapped: tuple[Unmapped, ...]
    destinations: tuple[str, ...]
    read_only: bool
    history_shifts: int
    history_error: str | None = None
    assigned: int | None = None


def rotation_json(r: RemoteRotation) -> dict:
    return {
        "id": r.id,
        "name": r.name,
        "start": r.start.isoformat(),
        "end": r.end.isoformat() if r.end else None,
        "turn_length_seconds": r.turn_length_seconds,
        "kind": r.kind,
        "length": r.length,
        "user_ids": [u.id for u in r.users],
        "restrictions": [
            {"kind": x.kind, "start_time": x.start_time, "duration_seconds": x.duration_seconds,
             "start_day_of_week": x.start_day_of_week}
            for x in r.restrictions
        ],
    }


def pattern_json(remote: RemoteSchedule) -> str:
    """What linking stores in `Schedule.pattern_json`: the provider's rotations, losslessly."""
    return json.dumps({
        "time_zone": remote.time_zone,
        "summary": remote.rotation_summary(),
        "rotations": [rotation_json(r) for r in remote.rotations],
    })


def check_link(ctx: Context, team_id: str, req: LinkRequest) -> None:
    """Fast checks for the modal (FieldError under the offending field)."""
    if not HORIZON_MIN <= req.horizon_days <= HORIZON_MAX:
        raise FieldError(Field.HORIZON, f"Pick between {HORIZON_MIN} and {HORIZON_MAX} days.")
    with session_scope(ctx.engine) as session:
        workspace.get_connection(session, team_id, req.connection_id)
        existing = session.exec(
            select(Schedule).where(
                Schedule.team_id == team_id,
                Schedule.connection_id == req.connection_id,
                Schedule.source_schedule_id == req.provider_schedule_id,
            )
        ).first()
        if existing:
            raise FieldError(Field.SCHEDULE,
                             f"Already linked as `{existing.name}`: see `/oncall status {existing.name}`.")
        targets = [(Field.SCHEDULE, Target(req.connection_id, req.provider_schedule_id)),
                   *((Field.DESTINATIONS, t) for t in req.extra_destinations)]
        for block, t in targets:
            workspace.ensure_unshared(session, team_id, block, t.connection_id, t.schedule_id, t.name or t.schedule_id)
        for t in req.extra_destinations:  # the linked schedule itself may be read-only: it is never written
            workspace.ensure_writable(session, team_id, Field.DESTINATIONS, t.connection_id,
                                   t.name or t.schedule_id)


def _free_name(session, team_id: str, name: str, connection_name: str) -> str:
    taken = {s.name.lower() for s in workspace.schedules(session, team_id)}
    candidate = name
    if candidate.lower() in taken:
        candidate = f"{name} ({connection_name})"
    n = 2
    while candidate.lower() in taken:
        candidate = f"{name} ({connection_name} {n})"
        n += 1
    return candidate


def _map_member(directory: Directory, email: str) -> tuple[str | None, str | None]:
    """(Slack user id, reason it could not be mapped)."""
    if not email:
        return None, ("the provider shows no email for this person (a JSM profile may hide it); "
                      "people are never matched by name")
    user = directory.by_email(email)
    if user is None:
        return None, "no Slack account uses this email"
    if user.deleted:
        return None, "the Slack account with this email is deactivated"
    if user.is_bot:
        return None, "this email belongs to a Slack bot"
    return user.id, None


def _read_remote(ctx: Context, provider: Provider, conn: Connection,
                 schedule_id: str) -> tuple[RemoteSchedule, list[RenderedShift], str | None]:
    """The provider schedule and its past shifts (history; a failure there is returned in words)."""
    try:
        remote = provider.get_schedule(schedule_id)
    except ProviderError as exc:
        raise UserError(f"Could not read the schedule from `{conn.name}`: {exc}") from None
    now = ctx.clock()
    try:
        return remote, provider.rendered(remote.id, now - timedelta(days=HISTORY_DAYS), now), None
    except ProviderError as exc:
        log.warning("history import of %s failed: %s", remote.id, exc)
        return remote, [], str(exc)


def link_schedule(ctx: Context, directory: Directory, team_id: str, actor: str, req: LinkRequest) -> LinkResult:
    """Create the bot's schedule from the provider schedule. Raises UserError when it cannot."""
    with session_scope(ctx.engine) as session:
        conn = workspace.get_connection(session, team_id, req.connection_id)
    with ctx.provider(conn) as provider:
        remote, history, history_error = _read_remote(ctx, provider, conn, req.provider_schedule_id)

    mapping: list[tuple[int, object, str | None, str | None]] = []
    for position, user in enumerate(remote.members):
        slack_id, reason = _map_member(directory, user.email)
        mapping.append((position, user, slack_id, reason))

    now = ctx.clock()
    joined = _membership_starts(remote, history, now)
    check_link(ctx, team_id, req)
    with session_scope(ctx.engine) as session:
        schedule = Schedule(
            team_id=team_id,
            name=_free_name(session, team_id, remote.name, conn.name),
            connection_id=conn.id,
            source_schedule_id=remote.id,
            time_zone=remote.time_zone or "UTC",
            pattern_json=pattern_json(remote),
            horizon_days=req.horizon_days,
            channel_id=req.channel_id,
            created_by=actor,
        )
        session.add(schedule)
        session.flush()
        members: dict[str, int] = {}
        mapped, unmapped = [], []
        for position, user, slack_id, reason in mapping:
            member = Member(team_id=team_id, schedule_id=schedule.id, slack_user_id=slack_id, email=user.email,
                            name=user.name, source_user_id=user.id, position=position,
                            joined_at=joined.get(user.id, now))
            session.add(member)
            session.flush()
            members[user.id] = member.id
            if slack_id:
                mapped.append((user.name, slack_id))
            else:
                unmapped.append(Unmapped(user.name or user.id, user.email, reason or "unknown"))
            _cache_user(session, team_id, conn.id, user)
        targets = [Target(conn.id, remote.id, remote.name), *[
            t for t in req.extra_destinations if (t.connection_id, t.schedule_id) != (conn.id, remote.id)
        ]]
        labels, read_only = [], False
        for target in targets:
            dest_conn = workspace.get_connection(session, team_id, target.connection_id)
            ro = dest_conn.can_write is False
            read_only |= ro
            session.add(Destination(
                team_id=team_id, schedule_id=schedule.id, role="primary", connection_id=dest_conn.id,
                provider_schedule_id=target.schedule_id, provider_schedule_name=target.name or target.schedule_id,
                status=(DestinationStatus.READ_ONLY if ro else DestinationStatus.PENDING).value,
            ))
            labels.append(f"{target.name or target.schedule_id} ({dest_conn.name})" + (" — read-only key" if ro else ""))
        starts: set = set()
        count = 0
        for entry in history:
            member_id = members.get(entry.user_id)
            if member_id is None or entry.start in starts:
                continue
            starts.add(entry.start)
            session.add(Shift(team_id=team_id, schedule_id=schedule.id, role="primary", start=entry.start,
                              end=entry.end, member_id=member_id, source="history"))
            count += 1
        audit.record(session, team_id, actor, "schedule.link", schedule_id=schedule.id,
                     detail=f"{conn.name}:{remote.id} {len(mapped)} mapped, {len(unmapped)} unmapped", at=now)
        result = LinkResult(schedule.id, schedule.name, tuple(mapped), tuple(unmapped), tuple(labels), read_only,
                            count, history_error)
    assigned = after_link(ctx, result.schedule_id)
    return LinkResult(**{**result.__dict__, "assigned": assigned})


def _membership_starts(remote: RemoteSchedule, history: list, now) -> dict:
    """Provider user id -> when their time in the rotation starts: with the imported
    history for whoever served in its first turn of the rotation, else at their first shift (see
    `membership_starts` for members who never served)."""
    main = max(remote.rotations, key=lambda r: len(r.users), default=None)
    if main is not None and main.users:
        cycle = timedelta(seconds=main.turn_length_seconds) * len(main.users)
    else:
        lengths = sorted(e.end - e.start for e in history) or [timedelta(0)]
        cycle = lengths[len(lengths) // 2] * len({e.user_id for e in history})
    members = [u.id for u in remote.members]
    return {who: min(start, now) for who, start in
            membership_starts(((e.user_id, e.start) for e in history), members, cycle, now).items()}


def _cache_user(session, team_id: str, connection_id: int, user) -> None:
    row = session.exec(
        select(ProviderUser).where(ProviderUser.connection_id == connection_id, ProviderUser.user_id == user.id)
    ).first()
    if row is None:
        session.add(ProviderUser(team_id=team_id, connection_id=connection_id, user_id=user.id,
                                 email=user.email, name=user.name))
    else:  # an email now hidden keeps the stored one (it may be a hand mapping: bot.services.mapping)
        row.email, row.name = user.email or row.email, user.name


def after_link(ctx: Context, schedule_id: int) -> int | None:
    """Assign the new schedule's shifts (`bot.sync.assignments.extend_assignments`).

    Returns the number of shifts assigned, or None when that failed (the next sync run assigns
    them then).
    """
    try:
        with session_scope(ctx.engine) as session:
            schedule = session.get(Schedule, schedule_id)
            return assignments.extend_assignments(ctx, session, schedule)
    except Exception:
        log.exception("assigning shifts for schedule %s failed; the next sync retries", schedule_id)
        return None
