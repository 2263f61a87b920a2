"""List and remove provider connections; removal is refused while anything uses the connection."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot.context import Context
from bot.providers import spec_for
from bot.providers.client import HttpProvider
from bot.services import workspace
from bot.services.errors import InUse
from bot.store import Connection, Destination, ProviderUser, Schedule, audit, session_scope


@dataclass(frozen=True)
class ConnectionInfo:
    id: int
    name: str
    provider: str
    region: str
    key_hint: str
    can_write: bool | None
    used_by: tuple[str, ...]  # "Platform (source)", "Platform → PD Primary (destination)"
    site: str | None = None  # the account's own host (JSM: acme.atlassian.net), from the decrypted secret


def _uses(session, team_id: str, connection_id: int) -> list[str]:
    uses: list[str] = []
    for sched in session.exec(
        select(Schedule).where(Schedule.team_id == team_id, Schedule.connection_id == connection_id)
    ):
        uses.append(f"{sched.name} (linked from it)")
    rows = session.exec(
        select(Destination, Schedule)
        .join(Schedule, Schedule.id == Destination.schedule_id)
        .where(Destination.team_id == team_id, Destination.connection_id == connection_id)
    )
    for dest, sched in rows:
        uses.append(f"{sched.name} → {dest.provider_schedule_name or dest.provider_schedule_id} (destination)")
    return uses


def list_connections(ctx: Context, team_id: str) -> list[ConnectionInfo]:
    with session_scope(ctx.engine) as session:
        return [
            ConnectionInfo(c.id, c.name, c.provider, c.region, c.key_hint, c.can_write,
                           tuple(_uses(session, team_id, c.id)), _site(ctx, c))
            for c in workspace.connections(session, team_id)
        ]


def _site(ctx: Context, conn: Connection) -> str | None:
    """The site a JSM connection acts on, read from its secret (only the site leaves this function)."""
    spec = spec_for(conn.provider)
    if spec.site is HttpProvider.site:
        return None  # nothing to decrypt
    try:
        return spec.site(ctx.keys.decrypt(conn.api_key_encrypted))
    except Exception:  # an unreadable secret is reported where it is used, not here
        return None


def remove_connection(ctx: Context, team_id: str, connection_id: int, actor: str) -> str:
    """Delete the connection (and its cached provider users); InUse names what still uses it."""
    with session_scope(ctx.engine) as session:
        conn: Connection = workspace.get_connection(session, team_id, connection_id)
        uses = _uses(session, team_id, connection_id)
        if uses:
            raise InUse(
                f"`{conn.name}` is still used by: {'; '.join(uses)}. Unlink those schedules or edit their "
                "destinations first (`/oncall unlink <schedule>`, `/oncall edit <schedule>`).",
                uses,
            )
        for cached in session.exec(select(ProviderUser).where(ProviderUser.connection_id == connection_id)):
            session.delete(cached)
        session.flush()  # no relationship orders these deletes: the cached users must go first
        session.delete(conn)
        audit.record(session, team_id, actor, "connection.remove", detail=conn.name, at=ctx.clock())
        return conn.name
