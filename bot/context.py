"""The runtime objects every service needs, built once at start and injected everywhere."""

from __future__ import annotations

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


@dataclass
class Context:
    """Settings, database, key box and the provider factory.

    `http_client` is the injectable transport for provider calls (tests pass one whose
    requests respx intercepts); `clock` and `sleep` make time controllable in tests.
    """

    settings: Settings
    engine: Engine
    keys: KeyBox = field(repr=False)
    http_client: httpx.Client | None = None
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep

    def provider(self, kind: str, region: str, api_key: str, timeout: float | None = None) -> Provider:
        """A provider client for a key being tried (connect) or already stored."""
        register_secret(api_key)
        return make_provider(
            kind,
            region,
            api_key,
            base_url=self.settings.provider_base_url(kind, region),
            client=self.http_client,
            timeout=timeout or self.settings.provider_timeout_seconds,
            sleep=self.sleep,
        )

    def provider_for(self, connection: Connection, timeout: float | None = None) -> Provider:
        return self.provider(
            connection.provider, connection.region, self.keys.decrypt(connection.api_key_encrypted), timeout
        )
