"""Provider schedules of a connection, and the writable schedules destinations can point to."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import select

from bot.context import Context
from bot.providers import ProviderError, ProviderKind, RemoteSchedule
from bot.services import workspace
from bot.services.errors import UserError
from bot.store import Connection, Destination, Schedule, session_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionRef:
    id: int
    name: str
    provider: str
    can_write: bool | None

    @property
    def label(self) -> str:
        return f"{ProviderKind(self.provider).label} · {self.name}"

    @classmethod
    def of(cls, conn: Connection) -> ConnectionRef:
        return cls(conn.id, conn.name, conn.provider, conn.can_write)


@dataclass(frozen=True)
class ProviderSchedules:
    """One connection's schedules, or the error that prevented listing them."""

    connection: ConnectionRef
    schedules: tuple[RemoteSchedule, ...] = ()
    linked: dict[str, str] | None = None  # provider schedule id → bot schedule name
    error: str | None = None


def linked_sources(session, team_id: str, connection_id: int) -> dict[str, str]:
    rows = session.exec(
        select(Schedule).where(Schedule.team_id == team_id, Schedule.connection_id == connection_id)
    )
    return {s.source_schedule_id: s.name for s in rows}


def fetch(ctx: Context, team_id: str, conn: Connection) -> ProviderSchedules:
    """The connection's schedules; a provider failure is returned in words, not raised."""
    ref = ConnectionRef.of(conn)
    with session_scope(ctx.engine) as session:
        linked = linked_sources(session, team_id, conn.id)
    try:
        with ctx.provider(conn) as provider:
            remote = provider.list_schedules()
    except ProviderError as exc:
        return ProviderSchedules(ref, linked=linked, error=str(exc))
    return ProviderSchedules(ref, tuple(sorted(remote, key=lambda s: s.name.lower())), linked)


def schedules_of(ctx: Context, team_id: str, connection_name: str | None) -> list[ProviderSchedules]:
    """`/oncall schedules [connection]`: one connection by name, or all of them."""
    with session_scope(ctx.engine) as session:
        if connection_name:
            conns = [workspace.find_connection(session, team_id, connection_name)]
        else:
            conns = workspace.connections(session, team_id)
    if not conns:
        raise UserError("No provider account is connected yet. An admin can add one with `/oncall connect`.")
    return [fetch(ctx, team_id, c) for c in conns]


def connection_refs(engine: Engine, team_id: str) -> list[ConnectionRef]:
    """The workspace's accounts, as the link modal's picker shows them."""
    with session_scope(engine) as session:
        return [ConnectionRef.of(c) for c in workspace.connections(session, team_id)]


def all_provider_schedules(ctx: Context, team_id: str) -> list[ProviderSchedules]:
    with session_scope(ctx.engine) as session:
        conns = workspace.connections(session, team_id)
    return [fetch(ctx, team_id, c) for c in conns]


def destinations_of(ctx: Context, team_id: str, schedule_id: int) -> list[tuple[int, str]]:
    with session_scope(ctx.engine) as session:
        rows = session.exec(
            select(Destination).where(Destination.team_id == team_id, Destination.schedule_id == schedule_id)
        )
        return [(d.connection_id, d.provider_schedule_id) for d in rows]
