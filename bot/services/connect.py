"""Connect a provider account: try the key (short deadline), store it encrypted, detect write access.

The API key only ever travels: modal state → `try_key`/`save_connection` → the provider client
and `KeyBox.encrypt`. It is never logged, echoed or put in `private_metadata`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlmodel import select

from bot.context import Context
from bot.crypto import key_hint
from bot.ids import BlockId
from bot.providers import AuthError, PermissionDenied, ProviderError, ProviderKind, Region, RemoteSchedule
from bot.redact import register_secret
from bot.services.deadline import DeadlineExceeded, run_with_deadline
from bot.services.errors import FieldError
from bot.store import AuditEvent, Connection, session_scope

log = logging.getLogger(__name__)

# Slack closes a modal submission after 3 s: the key check must answer before that.
VALIDATE_DEADLINE_SECONDS = 2.5
NAME_MAX = 60


@dataclass(frozen=True)
class ConnectForm:
    provider: ProviderKind
    region: Region
    name: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class Connected:
    connection_id: int
    name: str
    provider: ProviderKind
    key_hint: str
    schedules: list[RemoteSchedule]


def read_form(team_id: str, provider: str | None, region: str | None, name: str | None, api_key: str | None,
              ctx: Context) -> ConnectForm:
    """Validate the modal's fields (no provider call yet)."""
    key = (api_key or "").strip()
    register_secret(key)
    if provider not in {k.value for k in ProviderKind}:
        raise FieldError(BlockId.CONNECT_PROVIDER, "Pick PagerDuty or Opsgenie.")
    name = (name or "").strip()
    if not name:
        raise FieldError(BlockId.CONNECT_NAME, "Give the account a name, e.g. `Acme PagerDuty`.")
    if len(name) > NAME_MAX:
        raise FieldError(BlockId.CONNECT_NAME, f"Keep the name under {NAME_MAX} characters.")
    if not key:
        raise FieldError(BlockId.CONNECT_API_KEY, "Paste the API key.")
    if any(c.isspace() for c in key) or len(key) < 8:
        raise FieldError(BlockId.CONNECT_API_KEY, "That does not look like an API key: paste it whole, without spaces.")
    with session_scope(ctx.engine) as session:
        taken = session.exec(
            select(Connection).where(Connection.team_id == team_id, Connection.name == name)
        ).first()
    if taken:
        raise FieldError(BlockId.CONNECT_NAME, f"A connection called `{name}` exists already: pick another name.")
    return ConnectForm(ProviderKind(provider), Region(region or "us"), name, key)


def try_key(ctx: Context, form: ConnectForm, deadline: float | None = None) -> list[RemoteSchedule]:
    """List the account's schedules with the key, within the deadline; FieldError on failure."""
    deadline = VALIDATE_DEADLINE_SECONDS if deadline is None else deadline
    label = form.provider.label
    provider = ctx.provider(form.provider, form.region, form.api_key, timeout=deadline)
    try:
        return run_with_deadline(provider.list_schedules, deadline)
    except DeadlineExceeded:
        raise FieldError(
            BlockId.CONNECT_API_KEY,
            f"{label} did not answer within {deadline:g} seconds. Check the region ({form.region.value.upper()}) "
            "and try again in a moment.",
        ) from None
    except AuthError as exc:
        raise FieldError(BlockId.CONNECT_API_KEY, str(exc)) from None
    except PermissionDenied as exc:
        raise FieldError(BlockId.CONNECT_API_KEY, f"{exc} The key must be allowed to read schedules.") from None
    except ProviderError as exc:
        raise FieldError(BlockId.CONNECT_API_KEY, str(exc)) from None


def save_connection(ctx: Context, team_id: str, user_id: str, form: ConnectForm,
                    schedules: list[RemoteSchedule]) -> Connected:
    """Store the connection with its key encrypted; write access is detected afterwards."""
    with session_scope(ctx.engine) as session:
        conn = Connection(
            team_id=team_id,
            provider=form.provider.value,
            region=form.region.value,
            name=form.name,
            api_key_encrypted=ctx.keys.encrypt(form.api_key),
            key_hint=key_hint(form.api_key),
            created_by=user_id,
        )
        session.add(conn)
        session.flush()
        session.add(AuditEvent(team_id=team_id, actor=user_id, action="connection.create",
                               detail=f"{form.provider.label} {form.name} ({conn.key_hint})"))
        return Connected(conn.id, conn.name, form.provider, conn.key_hint, schedules)


def detect_write(ctx: Context, connection_id: int) -> bool | None:
    """Ask the provider whether the key may write, without changing anything; store the answer."""
    with session_scope(ctx.engine) as session:
        conn = session.get(Connection, connection_id)
        if conn is None:
            return None
        try:
            answer = ctx.provider_for(conn).can_write()
        except PermissionDenied:
            answer = False
        except ProviderError as exc:
            log.warning("write check for connection %s failed: %s", connection_id, exc)
            answer = None
        conn.can_write = answer
        return answer
