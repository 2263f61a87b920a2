"""One small request helper shared by the provider clients.

It owns what every call needs and nothing else: a timeout on every request, bounded
retries with exponential backoff and jitter (honouring the provider's rate-limit hint),
and the mapping of HTTP failures onto the exception tree in `base` with messages a
person can act on.

The API key is held by `Secret` and only revealed while building the request headers;
nothing here logs headers, and no exception message or repr contains the key.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx

from .base import (
    AuthError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    Unavailable,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
#: Reads a rate-limit hint (seconds to wait) from a response; None when there is none.
HintReader = Callable[[httpx.Response], float | None]
#: Extracts the provider's own error text from an error response ("" when none).
DetailReader = Callable[[httpx.Response], str]


# ---------------------------------------------------------------- overall deadline

_DEADLINE: ContextVar[float | None] = ContextVar("provider_deadline", default=None)


@contextlib.contextmanager
def overall_deadline(at: float) -> Iterator[None]:
    """Every provider request sent inside this block (in this thread) ends by `at`
    (`time.monotonic()`): its timeout is cut to what is left, a retry that would wait past it
    is not made, and a request started after it fails at once with `Unavailable`. Nested
    blocks keep the earlier deadline."""
    current = _DEADLINE.get()
    token = _DEADLINE.set(at if current is None else min(at, current))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left() -> float | None:
    """Seconds left before the overall deadline of this thread's work; None without one."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


class Secret:
    """An API key that never shows itself in a repr, str or f-string."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        if not value or not value.strip():
            raise ValueError("an API key is required")
        self._value = value.strip()

    def reveal(self) -> str:
        return self._value

    @property
    def hint(self) -> str:
        """The last four characters, for people to recognise which key is meant."""
        return "…" + self._value[-4:] if len(self._value) >= 12 else "…"

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __reduce__(self):  # pickling would write the key out: refuse
        raise TypeError("Secret cannot be pickled")


class Retry(Enum):
    """Which failures a request may be retried on."""

    #: reads, deletes and creates that are idempotent (Opsgenie alias): 429, 5xx, timeouts, connect errors
    IDEMPOTENT = "idempotent"
    #: non-idempotent creates: only when the provider certainly did nothing (429, request never sent)
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    #: the longest single wait; a rate-limit hint beyond it is not slept on but raised as RateLimited
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Raised before a single byte of the request left this process: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def header_seconds(response: httpx.Response, *names: str) -> float | None:
    """The first of `names` that holds a non-negative number of seconds."""
    for name in names:
        raw = response.headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw.strip())
        except ValueError:
            continue
        if value >= 0:
            return value
    return None


class ApiClient:
    """Sends requests for one provider account on an injected `httpx.Client`."""

    def __init__(
        self,
        *,
        label: str,
        client: httpx.Client,
        base_url: str,
        setting: str = "",
        auth_header: Callable[[], str],
        headers: Mapping[str, str],
        timeout: float,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        policy: RetryPolicy | None = None,
        hint: HintReader = lambda response: None,
        detail: DetailReader = lambda response: "",
        allowed_paths: re.Pattern[str] | None = None,
    ):
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.setting = setting or f"{label.upper()}_API_URL"
        self._client = client
        self._auth_header = auth_header
        self._headers = dict(headers)
        self.timeout = timeout
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.policy = policy or RetryPolicy()
        self._hint = hint
        self._detail = detail
        self._allowed = allowed_paths

    def __repr__(self) -> str:
        return f"ApiClient({self.label}, {self.base_url})"

    # ------------------------------------------------------------ sending

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        retry: Retry = Retry.IDEMPOTENT,
        write: bool = False,
        allow: Collection[int] = (),
    ) -> httpx.Response:
        """Send one request, retrying within the policy; return a 2xx response or one in `allow`.

        `what` names the object for messages ("schedule PABC123"); `write` marks a change,
        so a 403 is reported as a read-only key.
        """
        if self._allowed is not None and not self._allowed.fullmatch(path):
            # a programming error, not a provider failure: the bot promises to touch nothing else
            raise ValueError(f"{self.label}: {path} is outside the endpoints this bot may use")
        url = self.base_url + path
        auth = self._auth_header()
        headers = {**self._headers, **({"Authorization": auth} if auth else {})}  # "" for public endpoints
        attempts = self.policy.max_attempts
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            timeout = self._timeout_within_deadline(method, path)
            try:
                response = self._client.request(
                    method, url, params=params, json=json, headers=headers, timeout=timeout
                )
            except httpx.TransportError as exc:
                sent = not isinstance(exc, _NOT_SENT)
                if last or (sent and retry is Retry.UNSAFE):
                    raise self._transport_error(exc, method, path, attempt, sent) from None
                self._wait(attempt, None, f"{method} {path} failed ({type(exc).__name__})")
                continue
            status = response.status_code
            if status < 300 or status in allow:
                return response
            if status in _RETRY_STATUSES and not last and (status == 429 or retry is Retry.IDEMPOTENT):
                hint = self._hint(response) if status == 429 else None
                if hint is not None and hint > self.policy.max_delay:
                    raise self._status_error(response, method, path, what, write, attempt)
                response.close()
                self._wait(attempt, hint, f"{method} {path} returned {status}")
                continue
            raise self._status_error(response, method, path, what, write, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _timeout_within_deadline(self, method: str, path: str) -> float:
        left = time_left()
        if left is None:
            return self.timeout
        if left <= 0:
            raise Unavailable(f"{self.label} was not asked ({method} {path}): the request ran out of time "
                              "(its overall deadline passed). Try again in a moment.", provider=self.label)
        return min(self.timeout, left)

    def _wait(self, attempt: int, hint: float | None, why: str) -> None:
        if hint is not None:
            # the provider said when: wait that long, plus a little jitter so workers spread out
            delay = hint + self._rng.uniform(0, self.policy.base_delay)
        else:
            ceiling = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
            delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)  # "equal jitter"
        delay = min(delay, self.policy.max_delay)
        left = time_left()
        if left is not None and delay >= left:
            raise Unavailable(f"{self.label}: {why}, and no time is left to retry within the request's overall "
                              "deadline. Try again in a moment.", provider=self.label)
        log.warning(
            "%s: %s; retrying in %.1fs (attempt %d of %d)",
            self.label,
            why,
            delay,
            attempt + 1,
            self.policy.max_attempts,
        )
        self._sleep(delay)

    # ------------------------------------------------------------ errors

    def _transport_error(
        self, exc: httpx.TransportError, method: str, path: str, attempts: int, sent: bool
    ) -> Unavailable:
        tries = f" after {attempts} attempt{'s' if attempts > 1 else ''}"
        if isinstance(exc, httpx.TimeoutException):
            message = (
                f"{self.label} did not answer {method} {path} within {self.timeout:g}s{tries}; "
                "it may be slow or unreachable. The next sync tries again."
            )
        else:
            reason = type(exc).__name__
            message = (
                f"Could not reach {self.label} at {self.base_url} ({reason}){tries}: check the network, "
                f"any proxy, and the {self.setting} setting."
            )
        if sent and method == "POST":
            message += " The request may have reached the provider; the next sync reads back what exists."
        return Unavailable(message, provider=self.label)

    def _status_error(
        self, response: httpx.Response, method: str, path: str, what: str, write: bool, attempts: int
    ) -> ProviderError:
        try:
            detail = self._detail(response).strip()[:300]
        except Exception:  # an unreadable error body must not hide the status
            detail = ""
        retry_after = self._hint(response) if response.status_code == 429 else None
        return status_error(
            self.label,
            response.status_code,
            what=what,
            write=write,
            detail=detail,
            method=method,
            path=path,
            attempts=attempts,
            retry_after=retry_after,
        )


def status_error(
    label: str,
    status: int,
    *,
    what: str,
    write: bool = False,
    detail: str = "",
    method: str = "",
    path: str = "",
    attempts: int = 1,
    retry_after: float | None = None,
) -> ProviderError:
    """The exception for an HTTP error status, worded for the person who has to act on it."""
    kw: dict[str, Any] = {"status": status, "provider": label, "detail": detail or None}
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    if status == 401:
        return AuthError(
            f"{label} rejected the API key (401): check it was copied whole and has not been "
            "revoked, then connect again.",
            **kw,
        )
    if status in (402, 403):
        if write:
            message = (
                f"{label} refused to change {what} ({status}): the API key is read-only or may not "
                f"edit this schedule. Connect a key with write access to export.{_paren(detail)}"
            )
        else:
            message = (
                f"{label} refused access to {what} ({status}): the API key may not read it; check "
                f"the key's permissions and team.{_paren(detail)}"
            )
        return PermissionDenied(message, **kw)
    if status == 404:
        return NotFound(
            f"{label} has no {what} (404): it may have been deleted or the key cannot see it; "
            "check the link to the provider schedule.",
            **kw,
        )
    if status == 429:
        when = f"in {retry_after:g}s" if retry_after is not None else "in a minute"
        return RateLimited(
            f"{label} is rate-limiting this API key (429) after {tries}; try again {when}.",
            retry_after=retry_after,
            **kw,
        )
    if status >= 500:
        return Unavailable(
            f"{label} failed {method} {path} with {status} after {tries}; it is probably having "
            f"trouble. The next sync tries again.{_paren(detail)}",
            **kw,
        )
    suffix = f": {detail}" if detail else ""
    return InvalidRequest(f"{label} rejected the request for {what} ({status}){suffix}", **kw)


def _paren(detail: str) -> str:
    return f" (provider said: {detail.rstrip('.')})" if detail else ""
