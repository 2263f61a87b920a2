"""The runtime objects every service needs, built once at start and injected everywhere."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import Engine

from bot.config import Settings
from bot.crypto import KeyBox
from bot.providers import Provider, make_provider, spec_for
from bot.redact import register_secret
from bot.store.models import Connection
from bot.store.types import utcnow
from bot.sync.ratelimit import Pacing, ThrottledClient
from bot.sync.shared_bucket import SharedPacing, shared


@dataclass
class Context:
    """Settings, database, key box and the one provider factory.

    `transport` is the injectable httpx transport for provider calls (tests pass a
    `httpx.MockTransport`, or none and let respx intercept); on top of it one long-lived pooled
    client per provider base URL is made on first use and closed by `close()`. `clock` and
    `sleep` make time controllable in tests. `pacing` holds the per-account token buckets every
    provider request draws from (in the database, shared by every replica, when
    `bot.sync.shared_bucket.shared` says so).
    """

    settings: Settings
    engine: Engine
    keys: KeyBox = field(repr=False)
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    pacing: Pacing = field(default=None, repr=False)  # type: ignore[assignment]
    _clients: dict[str, httpx.Client] = field(default_factory=dict, repr=False)
    _clients_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.pacing is None:
            sleep = lambda seconds: self.sleep(seconds)  # noqa: E731 (a test may swap ctx.sleep later)
            self.pacing = Pacing(sleep=sleep)
            if shared(self.settings.shared_rate_limits, self.engine):
                self.pacing = SharedPacing(self.engine, sleep, self.pacing)  # type: ignore[assignment]

    def http(self, base_url: str) -> httpx.Client:
        """The pooled HTTP client for a provider base URL (made once, on the injected transport)."""
        with self._clients_lock:
            if base_url not in self._clients:
                self._clients[base_url] = httpx.Client(transport=self.transport)
            return self._clients[base_url]

    def close(self) -> None:
        """Close the pooled provider clients (at shutdown)."""
        with self._clients_lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    @contextmanager
    def provider(self, connection: Connection, timeout: float | None = None) -> Iterator[Provider]:
        """The provider of a stored connection: the only way to obtain one for an account.

        Every request it sends first takes a token from the account's bucket; it rides on the
        pooled client (cheap to make) and is closed when the block ends."""
        secret = self.keys.decrypt(connection.api_key_encrypted)
        with self.trial_provider(connection.provider, connection.region, secret, timeout) as provider:
            yield provider

    @contextmanager
    def trial_provider(self, kind: str, region: str, secret: str,
                       timeout: float | None = None) -> Iterator[Provider]:
        """A provider for a key not stored yet (connect): paced and closed like `provider`; a key
        tried and the connection it becomes share one bucket."""
        spec = spec_for(kind)
        for form in spec.secrets(secret):
            register_secret(form)
        base_url = self.settings.provider_base_url(kind, region)
        paced = ThrottledClient(self.http(base_url), self.pacing.bucket(kind, secret))
        provider = make_provider(
            kind,
            region,
            secret,
            base_url=base_url,
            client=paced,  # type: ignore[arg-type]
            timeout=timeout or self.settings.provider_timeout_seconds,
            sleep=self.sleep,
            clock=self.clock,
            **spec.options(self.settings),
        )
        try:
            yield provider
        finally:
            provider.close()
