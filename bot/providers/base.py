"""The provider contract: shared dataclasses, the `Provider` protocol and the exception tree.

Exception tree (every message is written for the person who has to act on it)::

    ProviderError                 anything a provider call can raise
    ├── AuthError                 401: the API key was rejected
    ├── PermissionDenied          403: the key may not do this (e.g. a read-only key on a write)
    ├── NotFound                  404: the schedule/override/user does not exist (any more)
    ├── InvalidRequest            400/422: the provider refused the request's content
    ├── RateLimited               429 after the bounded retries ran out
    └── Unavailable               5xx, timeouts and connection errors after the retries ran out

No exception, repr or message ever holds an API key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from .registry import ProviderKind as ProviderKind  # the kinds live in the registry


class Region(StrEnum):
    US = "us"
    EU = "eu"


# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class CredentialField:
    """A part of an account's credentials beside the API key (JSM: the site and the email), asked
    by the connect form for the providers that declare it (`HttpProvider.credential_fields`)."""

    name: str  # what the form field holds, e.g. "site"
    label: str
    hint: str
    max_length: int = 100


class CredentialProblem(ValueError):
    """A credential field the provider cannot use (said under that field, nothing is tried)."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name  # the `CredentialField.name`, or "api_key"
        self.message = message


class ProviderError(Exception):
    """Base of every provider failure. `status` is the HTTP status when there was one;
    `detail` is the provider's own error text (already part of `message` where useful)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        provider: str | None = None,
        detail: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.provider = provider
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class AuthError(ProviderError):
    """401: the key is wrong, revoked or truncated."""


class PermissionDenied(ProviderError):
    """403: the key is valid but may not do this (read-only key, missing team access)."""


class NotFound(ProviderError):
    """404: the addressed object does not exist."""


class InvalidRequest(ProviderError):
    """400/422: the provider refused the request's content."""


class RateLimited(ProviderError):
    """429 still returned after the bounded retries. `retry_after` is in seconds when known."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    """5xx, a timeout or a connection failure, still failing after the bounded retries."""


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class RemoteUser:
    """A provider user: only id, email and name are ever kept (never contact methods)."""

    id: str
    email: str
    name: str


@dataclass(frozen=True)
class Restriction:
    """When a rotation is active: `daily` (every day) or `weekly` (from a weekday).

    start_day_of_week: ISO weekday 1=Monday … 7=Sunday, only for weekly restrictions.
    """

    kind: str  # "daily" | "weekly"
    start_time: str  # "HH:MM:SS" in the schedule's time zone
    duration_seconds: int
    start_day_of_week: int | None = None


@dataclass(frozen=True)
class RemoteRotation:
    """A PagerDuty schedule layer or an Opsgenie rotation.

    kind: "hourly" | "daily" | "weekly" | "custom" (PagerDuty layers are "custom" unless the
    turn length is a whole number of days/weeks); `turn_length_seconds` is always set.
    `users` are in rotation order.
    """

    id: str
    name: str
    start: datetime
    turn_length_seconds: int
    users: tuple[RemoteUser, ...]
    kind: str = "custom"
    length: int = 1
    end: datetime | None = None
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class RemoteSchedule:
    id: str
    name: str
    time_zone: str
    rotations: tuple[RemoteRotation, ...] = ()
    description: str = ""

    @property
    def members(self) -> tuple[RemoteUser, ...]:
        """Every user of every rotation, first appearance order, no duplicates."""
        seen: dict[str, RemoteUser] = {}
        for rotation in self.rotations:
            for user in rotation.users:
                seen.setdefault(user.id, user)
        return tuple(seen.values())

    def rotation_summary(self) -> str:
        if not self.rotations:
            return "no rotation"
        parts = []
        for r in self.rotations:
            hours = r.turn_length_seconds / 3600
            if hours % 168 == 0:
                turn = "weekly" if hours == 168 else f"every {int(hours // 168)} weeks"
            elif hours % 24 == 0:
                turn = "daily" if hours == 24 else f"every {int(hours // 24)} days"
            else:
                turn = f"every {hours:g}h"
            parts.append(f"{r.name or 'rotation'}: {turn}, {len(r.users)} people")
        return "; ".join(parts)


@dataclass(frozen=True)
class RenderedShift:
    """Who the provider will actually page over [start, end) (final schedule / final timeline)."""

    user_id: str
    start: datetime
    end: datetime
    user_email: str | None = None
    user_name: str | None = None


@dataclass(frozen=True)
class RemoteOverride:
    """An override present at the provider. `id` is PagerDuty's override id or Opsgenie's alias."""

    id: str
    user_id: str
    start: datetime
    end: datetime
    user_email: str | None = None


@dataclass(frozen=True)
class OverrideRequest:
    """An override to create. `alias` is deterministic (Opsgenie uses it as the override id)."""

    user_id: str
    start: datetime
    end: datetime
    alias: str
    user_email: str | None = None


@dataclass(frozen=True)
class CreateResult:
    """Per-item outcome of a create: exactly one of `override` / `error` is set."""

    request: OverrideRequest
    override: RemoteOverride | None = None
    error: ProviderError | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.override is not None


@dataclass(frozen=True)
class WriteCheck:
    """What a write check found: `can_write` True/False, None when it could not tell; `note` is
    what the person should know besides (e.g. a test override that could not be removed)."""

    can_write: bool | None
    note: str = ""


class DeleteOutcome(StrEnum):
    DELETED = "deleted"  # PagerDuty 204 / Opsgenie 200: gone
    TRUNCATED = "truncated"  # PagerDuty 200: it was in progress and now ends now
    PAST = "past"  # it already ended: providers keep history, nothing to do
    MISSING = "missing"  # 404: already gone (counts as deleted)


@runtime_checkable
class Provider(Protocol):
    """One on-call provider account, on an injected `httpx.Client`."""

    kind: ProviderKind
    region: Region

    def list_schedules(self) -> list[RemoteSchedule]: ...

    def get_schedule(self, schedule_id: str) -> RemoteSchedule: ...

    def list_users(self) -> list[RemoteUser]: ...

    def rendered(self, schedule_id: str, since: datetime, until: datetime) -> list[RenderedShift]:
        """What will actually page over [since, until)."""
        ...

    def list_overrides(self, schedule_id: str, since: datetime, until: datetime) -> list[RemoteOverride]: ...

    def create_overrides(self, schedule_id: str, requests: Sequence[OverrideRequest]) -> list[CreateResult]:
        """Create overrides; per-item results in request order. Raises only when nothing could be tried."""
        ...

    def delete_override(self, schedule_id: str, override_id: str) -> DeleteOutcome: ...

    def can_write(self) -> bool | None:
        """True/False when the API lets us find out; None when unknown."""
        ...

    def check_write(self, schedule_id: str | None, schedule_name: str = "") -> WriteCheck:
        """`can_write`, told on a schedule the key can see when the provider needs one (Opsgenie)."""
        ...
