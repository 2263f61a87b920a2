"""Per-connection rate limiting: a token bucket in front of every provider HTTP request.

Each provider declares its budget per account (`requests_per_minute`, e.g. PagerDuty 900, below
its 960; JSM, which publishes no limit beyond answering 429, 300 with a burst of 20), so a burst of
syncs and commands never meets a 429. Buckets live per process (`Pacing`,
held by the `Context`) and per provider account, shared by every sync thread and every command.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from bot.providers.registry import spec_for

BURST = 50


class TokenBucket:
    """`rate` tokens per second, at most `capacity` saved up. `take()` waits (through `sleep`)
    when the bucket is empty; the debt is booked at once so concurrent callers queue fairly."""

    def __init__(self, rate: float, capacity: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._at = clock()
        self._lock = threading.Lock()
        self.waited = 0.0
        self.taken = 0.0

    def take(self, n: float = 1.0) -> float:
        """Take `n` tokens; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= n
            self.taken += n
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.waited += wait
        if wait > 0:
            self._sleep(wait)
        return wait


class Pacing:
    """The process's token buckets, one per provider account: the provider and its API key (the
    provider's limit is per key, so a key being tried at connect time and the connection it
    becomes share one). Held by the `Context`; commands and syncs draw from the same buckets."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self._sleep = sleep
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._guard = threading.Lock()

    def bucket(self, provider: str, api_key: str) -> TokenBucket:
        """The bucket of one account (created on first use)."""
        spec = spec_for(provider)  # UnknownProvider for a kind not known
        key = (provider, hashlib.sha256(spec.pacing_key(api_key).encode()).hexdigest())  # never the key itself
        with self._guard:
            if key not in self._buckets:
                self._buckets[key] = TokenBucket(spec.requests_per_minute / 60.0, spec.burst, clock=self._clock,
                                                 sleep=self._sleep)
            return self._buckets[key]


class ThrottledClient:
    """Wraps an `httpx.Client`: every `request` first takes a token. Everything else delegates."""

    def __init__(self, client: httpx.Client, bucket: TokenBucket):
        self._client = client
        self.bucket = bucket

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
        self.bucket.take()
        return self._client.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
