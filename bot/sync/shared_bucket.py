"""Token buckets shared by every replica through the database (PostgreSQL).

A provider's rate limit is per API key, so N replicas each pacing alone would spend N× a key's
budget. With `SHARED_RATE_LIMITS` on (by default whenever DATABASE_URL is PostgreSQL), each
account's bucket is a row of `rate_bucket` (key: provider + key digest, as `Pacing` keys them;
never the key itself), and taking a token is one atomic statement: refill by the time passed
on the database's clock (one clock for every replica), take, and return what is left.

    INSERT … ON CONFLICT (key) DO UPDATE SET tokens = LEAST(cap, tokens + elapsed × rate) − n, at = now
    RETURNING tokens

The row lock of the upsert orders concurrent takers; a negative result is a debt the taker
sleeps off (`-tokens / rate` seconds), booked at once so takers queue fairly, as in
`bot.sync.ratelimit.TokenBucket`. `SharedBucket` has the same interface (`take`, `rate`,
`capacity`, `taken`, `waited`), so `ThrottledClient` and everything above it are unchanged.
When the table cannot be used (a database not migrated yet), the process paces alone with its
local bucket and says so once in the log.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.providers.registry import spec_for
from bot.sync.ratelimit import Pacing, TokenBucket

log = logging.getLogger(__name__)

_TAKE = text("""
INSERT INTO rate_bucket (key, tokens, at) VALUES (:key, :cap - :n, extract(epoch FROM clock_timestamp()))
ON CONFLICT (key) DO UPDATE SET
    tokens = LEAST(:cap, rate_bucket.tokens
                   + GREATEST(0, extract(epoch FROM clock_timestamp()) - rate_bucket.at) * :rate) - :n,
    at = extract(epoch FROM clock_timestamp())
RETURNING tokens
""")


def shared(setting: bool | None, engine: Engine | None) -> bool:
    """Whether buckets go through the database: as configured, else when it is PostgreSQL."""
    if engine is None:
        return False
    return setting if setting is not None else engine.dialect.name == "postgresql"


class SharedBucket:
    """One account's bucket in `rate_bucket` (see the module docstring)."""

    def __init__(self, engine: Engine, key: str, local: TokenBucket, sleep: Callable[[float], None]):
        self.key = key
        self.rate = local.rate
        self.capacity = local.capacity
        self._engine = engine
        self._local = local  # used alone when the table cannot be reached
        self._sleep = sleep
        self._lock = threading.Lock()
        self.waited = 0.0
        self.taken = 0.0
        self.alone = False

    def _take(self, n: float) -> float | None:
        try:
            with self._engine.begin() as conn:
                return float(conn.execute(_TAKE, {"key": self.key, "cap": self.capacity, "n": n,
                                                  "rate": self.rate}).scalar_one())
        except SQLAlchemyError as exc:
            if not self.alone:
                log.warning("shared rate limits unavailable (%s); pacing this process alone",
                            type(exc).__name__)
                self.alone = True
            return None

    def take(self, n: float = 1.0) -> float:
        """Take `n` tokens; returns the seconds waited."""
        left = None if self.alone else self._take(n)
        if left is None:
            wait = self._local.take(n)
        else:
            wait = -left / self.rate if left < 0 else 0.0
            if wait > 0:
                self._sleep(wait)
        with self._lock:
            self.taken += n
            self.waited += wait
        return wait


class SharedPacing:
    """`Pacing` whose buckets live in the database: the same keys, rates and capacities as the
    local ones (asked of the wrapped `Pacing`), shared by every replica on that database."""

    def __init__(self, engine: Engine, sleep: Callable[[float], None] = time.sleep,
                 local: Pacing | None = None):
        self._engine = engine
        self._sleep = sleep
        self._local = local or Pacing(sleep=sleep)
        self._buckets: dict[str, SharedBucket] = {}
        self._guard = threading.Lock()

    def bucket(self, provider: str, api_key: str) -> SharedBucket:
        key = f"{provider}:{hashlib.sha256(spec_for(provider).pacing_key(api_key).encode()).hexdigest()}"
        with self._guard:
            if key not in self._buckets:
                self._buckets[key] = SharedBucket(self._engine, key, self._local.bucket(provider, api_key),
                                                  self._sleep)
            return self._buckets[key]
