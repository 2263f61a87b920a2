"""The runtime objects every service needs, built once at start and injected everywhere."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import Engine

from bot.config import Settings
from bot.crypto import KeyBox
from bot.providers import Provider, make_provider
from bot.redact import register_secret
from bot.store.models import Connection
from bot.store.types import utcnow
from bot.sync.ratelimit import Pacing, ThrottledClient
from bot.sync.shared_bucket import SharedPacing, shared


@dataclass
class Context:
    """Settings, database, key box and the provider factory.

    `http_client` is the injectable transport for provider calls (tests pass one whose
    requests respx intercepts); without it, one long-lived pooled client per provider base URL
    is made on first use and closed by `close()`. `clock` and `sleep` make time controllable
    in tests. `pacing` holds the per-account token buckets every provider request draws from
    (in the database, shared by every replica, when `bot.sync.shared_bucket.shared` says so).
    """

    settings: Settings
    engine: Engine
    keys: KeyBox = field(repr=False)
    http_client: httpx.Client | None = None
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    pacing: Pacing = field(default=None, repr=False)  # type: ignore[assignment]
    _transports: dict[str, httpx.Client] = field(default_factory=dict, repr=False)
    _transport_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.pacing is None:
            sleep = lambda seconds: self.sleep(seconds)  # noqa: E731 (a test may swap ctx.sleep later)
            self.pacing = Pacing(sleep=sleep)
            if shared(self.settings.shared_rate_limits, self.engine):
                self.pacing = SharedPacing(self.engine, sleep, self.pacing)  # type: ignore[assignment]

    def transport(self, base_url: str) -> httpx.Client:
        """The HTTP client for a provider base URL: the injected one, else one pooled client per URL."""
        if self.http_client is not None:
            return self.http_client
        with self._transport_lock:
            if base_url not in self._transports:
                self._transports[base_url] = httpx.Client()
            return self._transports[base_url]

    def close(self) -> None:
        """Close the pooled provider clients (at shutdown)."""
        with self._transport_lock:
            clients, self._transports = list(self._transports.values()), {}
        for client in clients:
            client.close()

    def provider(self, kind: str, region: str, api_key: str, timeout: float | None = None) -> Provider:
        """A provider client for a key being tried (connect) or already stored. Every request it
        sends first takes a token from the account's bucket; it shares the pooled transport, so
        it is cheap to make and needs no closing."""
        register_secret(api_key)
        base_url = self.settings.provider_base_url(kind, region)
        paced = ThrottledClient(self.transport(base_url), self.pacing.bucket(kind, api_key))
        return make_provider(
            kind,
            region,
            api_key,
            base_url=base_url,
            client=paced,  # type: ignore[arg-type]
            timeout=timeout or self.settings.provider_timeout_seconds,
            sleep=self.sleep,
        )

    def provider_for(self, connection: Connection, timeout: float | None = None) -> Provider:
        return self.provider(
            connection.provider, connection.region, self.keys.decrypt(connection.api_key_encrypted), timeout
        )
