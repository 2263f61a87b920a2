"""Connect a provider account: try the key, store it encrypted, find out whether it can write.

The modal is answered at once; `connect` runs afterwards in the background (see
`bot.commands.connect`), so a provider that takes a few seconds to answer is waited for: the
overall deadline is never shorter than the provider client's own timeout.

The API key only ever travels: modal state → `read_form` → the provider client and
`KeyBox.encrypt`. It is never logged, echoed or put in `private_metadata`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlmodel import select

from bot.context import Context
from bot.crypto import key_hint
from bot.providers import (
    AuthError,
    CredentialProblem,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderKind,
    RateLimited,
    Region,
    RemoteSchedule,
    Unavailable,
    WriteCheck,
    any_of,
    kinds,
    spec_for,
)
from bot.redact import register_secret
from bot.services.deadline import DeadlineExceeded, run_with_deadline
from bot.services.errors import Field, FieldError, credential_error
from bot.store import Connection, audit, session_scope
from bot.sync.access import probe_write

# The whole check (schedule list, then write check) runs after the ack; this bounds it. It is
# never shorter than the provider client's own request timeout (`Settings.provider_timeout_seconds`).
CHECK_DEADLINE_SECONDS = 60.0
NAME_MAX = 60


@dataclass(frozen=True)
class ConnectForm:
    """What the connect modal gave: the key, and the values of the provider's other credential
    fields (`fields`, e.g. JSM's site and email). `secret` is what is tried and stored encrypted
    (the provider packs it; after the check it may carry what the provider told, e.g. a cloudId)."""

    provider: ProviderKind
    region: Region
    name: str
    api_key: str = field(repr=False)
    fields: tuple[tuple[str, str], ...] = ()
    secret: str = field(default="", repr=False)

    def value(self, name: str) -> str:
        return dict(self.fields).get(name, "")


@dataclass(frozen=True)
class Connected:
    connection_id: int
    name: str
    provider: ProviderKind
    key_hint: str
    schedules: list[RemoteSchedule]
    write: WriteCheck = WriteCheck(None)
    site: str | None = None  # the account's own host (JSM: acme.atlassian.net)

    @property
    def can_write(self) -> bool | None:
        return self.write.can_write


def read_form(team_id: str, provider: str | None, region: str | None, name: str | None, api_key: str | None,
              ctx: Context, fields: Mapping[str, str | None] | None = None) -> ConnectForm:
    """Validate the modal's fields (no provider call yet), with the provider's own credential
    fields (`credential_fields`, by name) when it declares any."""
    key = (api_key or "").strip()
    register_secret(key)
    if provider not in {k.value for k in kinds()}:
        raise FieldError(Field.PROVIDER, f"Pick {any_of()}.")
    name = (name or "").strip()
    if not name:
        raise FieldError(Field.NAME, "Give the account a name, e.g. `Acme PagerDuty`.")
    if len(name) > NAME_MAX:
        raise FieldError(Field.NAME, f"Keep the name under {NAME_MAX} characters.")
    if not key:
        raise FieldError(Field.API_KEY, "Paste the API key.")
    if any(c.isspace() for c in key) or len(key) < 8:
        raise FieldError(Field.API_KEY, "That does not look like an API key: paste it whole, without spaces.")
    spec = spec_for(provider)
    given = tuple((f.name, (fields or {}).get(f.name) or "") for f in spec.credential_fields)
    try:
        secret = spec.pack_secret(key, dict(given))
    except CredentialProblem as exc:
        raise credential_error(exc.name, exc.message) from None
    with session_scope(ctx.engine) as session:
        _check_name_free(session, team_id, name)
    return ConnectForm(ProviderKind(provider), Region(region or "us"), name, key, given, secret)


def _check_name_free(session, team_id: str, name: str) -> None:
    taken = session.exec(select(Connection).where(Connection.team_id == team_id, Connection.name == name)).first()
    if taken:
        raise FieldError(Field.NAME, f"A connection called `{name}` exists already: pick another name.")


def deadline_for(ctx: Context) -> float:
    return max(CHECK_DEADLINE_SECONDS, ctx.settings.provider_timeout_seconds)


def _refusal(form: ConnectForm, exc: ProviderError) -> FieldError:
    """A failed key check, in words, under the field the person should look at."""
    region = f"Check the region ({form.region.value.upper()})"
    own = spec_for(form.provider).refusal(exc, dict(form.fields))
    if own is not None:
        return credential_error(own.name, own.message)
    if isinstance(exc, AuthError):
        return FieldError(Field.API_KEY, str(exc))
    if isinstance(exc, PermissionDenied):
        return FieldError(Field.API_KEY, f"{exc} The key must be allowed to read schedules.")
    if isinstance(exc, NotFound):
        return FieldError(Field.REGION, f"{exc} {region}: the account may live in the other one.")
    if isinstance(exc, Unavailable) and exc.status is None:  # timeouts and unreachable hosts
        return FieldError(Field.REGION, f"{exc} {region} and try again in a moment.")
    if isinstance(exc, RateLimited | Unavailable):
        return FieldError(Field.API_KEY, f"{exc} Nothing was saved.")
    return FieldError(Field.API_KEY, str(exc))


def try_key(ctx: Context, form: ConnectForm, deadline: float | None = None) -> list[RemoteSchedule]:
    """List the account's schedules with the key, within the deadline; FieldError on failure."""
    return _trial(ctx, form, deadline)[0]


def _trial(ctx: Context, form: ConnectForm, deadline: float | None = None) -> tuple[list[RemoteSchedule], ConnectForm]:
    """`try_key`, and the form with what the provider told on the way (JSM: the site's cloudId)."""
    deadline = deadline_for(ctx) if deadline is None else deadline
    try:
        with ctx.trial_provider(form.provider, form.region, form.secret) as provider:
            schedules = run_with_deadline(provider.list_schedules, deadline)
            told = provider.secret_to_store()
            return schedules, (replace(form, secret=told) if told else form)
    except DeadlineExceeded:
        raise FieldError(
            Field.REGION,
            f"{form.provider.label} did not answer within {deadline:g} seconds. Check the region "
            f"({form.region.value.upper()}) and try again in a moment.",
        ) from None
    except ProviderError as exc:
        raise _refusal(form, exc) from None


def connect(ctx: Context, team_id: str, user_id: str, form: ConnectForm) -> Connected:
    """Try the key, store the connection, check write access: the whole use case, for the
    background. FieldError (nothing stored) when the key cannot be used."""
    started = time.monotonic()
    deadline = deadline_for(ctx)
    schedules, form = _trial(ctx, form, deadline)
    connected = save_connection(ctx, team_id, user_id, form, schedules)
    left = max(deadline - (time.monotonic() - started), ctx.settings.provider_timeout_seconds)
    return replace(connected, write=detect_write(ctx, connected.connection_id, schedules, left))


def save_connection(ctx: Context, team_id: str, user_id: str, form: ConnectForm,
                    schedules: list[RemoteSchedule]) -> Connected:
    """Store the connection with its key encrypted; write access is detected afterwards."""
    with session_scope(ctx.engine) as session:
        _check_name_free(session, team_id, form.name)  # a double submission may have taken it meanwhile
        conn = Connection(
            team_id=team_id,
            provider=form.provider.value,
            region=form.region.value,
            name=form.name,
            api_key_encrypted=ctx.keys.encrypt(form.secret),
            key_hint=key_hint(form.api_key),
            created_by=user_id,
        )
        session.add(conn)
        session.flush()
        audit.record(session, team_id, user_id, "connection.create",
                     detail=f"{form.provider.label} {form.name} ({conn.key_hint})", at=ctx.clock())
        return Connected(conn.id, conn.name, form.provider, conn.key_hint, schedules,
                         site=spec_for(form.provider).site(form.secret))


def detect_write(ctx: Context, connection_id: int, schedules: list[RemoteSchedule],
                 deadline: float | None = None) -> WriteCheck:
    """Ask the provider whether the key may write (Opsgenie: a probe on the first visible
    schedule) and store the answer on the connection."""
    with session_scope(ctx.engine) as session:
        conn = session.get(Connection, connection_id)
    if conn is None:
        return WriteCheck(None)
    first = schedules[0] if schedules else None
    try:
        with ctx.provider(conn) as provider:
            return run_with_deadline(
                lambda: probe_write(ctx.engine, connection_id, provider, first.id if first else None,
                                    first.name if first else ""),
                deadline or deadline_for(ctx))
    except DeadlineExceeded:
        return WriteCheck(None, f"{ProviderKind(conn.provider).label} did not answer the write check in time; "
                                "it is checked again before the first export.")
