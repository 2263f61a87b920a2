"""Rate-limit buckets shared by replicas through PostgreSQL (`bot.sync.shared_bucket`).

Three "replicas" (each its own engine and Context, two threads each) send PagerDuty requests with
one API key as fast as their pacing lets them: together they stay within the key's bucket
(burst 50, 900/min), where three processes pacing alone would send three times as much.
(CI sets ONCALL_REQUIRE_POSTGRES=1: never skipped there.)"""

from __future__ import annotations

import logging
import threading
import time

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.config import ConfigError, Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.providers.pagerduty import PagerDutyProvider
from bot.store.db import make_engine
from bot.sync.ratelimit import BURST, Pacing
from bot.sync.shared_bucket import SharedBucket, SharedPacing
from tests.plugins.world import PD_KEY

SECONDS = 3.0
REPLICAS = 3


def _replica(url: str, settings: Settings) -> Context:
    return Context(settings=settings, engine=make_engine(url), keys=KeyBox(settings.secret_key), sleep=time.sleep)


def test_three_replicas_together_stay_within_one_keys_ceiling(pg_engine, pg_url, conformant_respx):
    arrivals: list[float] = []
    guard = threading.Lock()

    def answer(request: httpx.Request) -> httpx.Response:
        with guard:
            arrivals.append(time.monotonic())
        return httpx.Response(200, json={"users": [], "limit": 100, "offset": 0, "more": False})

    conformant_respx.get("https://api.pagerduty.com/users").mock(side_effect=answer)
    settings = Settings(secret_key=Fernet.generate_key().decode())
    replicas = [_replica(pg_url, settings) for _ in range(REPLICAS)]
    assert all(isinstance(r.pacing, SharedPacing) for r in replicas), "automatic on PostgreSQL"
    barrier = threading.Barrier(REPLICAS * 2)
    start: list[float] = []
    stop = threading.Event()

    def loop(ctx: Context) -> None:
        with ctx.trial_provider("pagerduty", "us", PD_KEY) as provider:
            barrier.wait(10)
            with guard:
                start.append(time.monotonic())
            while not stop.is_set():
                provider.list_users()

    threads = [threading.Thread(target=loop, args=(r,)) for r in replicas for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join(10)
    for r in replicas:
        r.close()
        r.engine.dispose()
    t0, rate = min(start), PagerDutyProvider.requests_per_minute / 60
    arrivals.sort()
    worst = max(n + 1 - (BURST + rate * (t - t0)) for n, t in enumerate(arrivals))
    assert worst <= 2, f"{worst:.1f} requests over the ceiling at some point"
    within = sum(1 for t in arrivals if t <= t0 + SECONDS)
    ceiling = BURST + rate * SECONDS
    assert within >= 0.8 * ceiling, f"{within} requests in {SECONDS} s: the bucket is not kept busy"
    assert within < ceiling * REPLICAS / 2, "three local buckets would have allowed three times the ceiling"
    with pg_engine.connect() as conn:
        keys = conn.execute(text("SELECT key FROM rate_bucket")).scalars().all()
    assert len(keys) == 1 and keys[0].startswith("pagerduty:") and PD_KEY not in keys[0]


def test_shared_only_on_postgresql_unless_configured(engine, pg_engine):
    settings = Settings(secret_key=Fernet.generate_key().decode())
    assert type(Context(settings=settings, engine=engine, keys=KeyBox(settings.secret_key)).pacing) is Pacing
    off = Settings(secret_key=settings.secret_key, shared_rate_limits=False)
    assert type(Context(settings=off, engine=pg_engine, keys=KeyBox(settings.secret_key)).pacing) is Pacing
    assert Settings.from_env({"SHARED_RATE_LIMITS": "true"}).shared_rate_limits is True
    assert Settings.from_env({"SHARED_RATE_LIMITS": "auto"}).shared_rate_limits is None
    try:
        Settings.from_env({"SHARED_RATE_LIMITS": "sometimes"})
        raise AssertionError("a bad value must be refused")
    except ConfigError as exc:
        assert "SHARED_RATE_LIMITS" in str(exc)


def test_a_database_without_the_table_paces_the_process_alone(pg_url, caplog):
    engine = make_engine(pg_url)  # not migrated
    slept: list[float] = []
    bucket = SharedPacing(engine, slept.append).bucket("opsgenie", "k")
    with caplog.at_level(logging.WARNING):
        for _ in range(BURST + 5):
            bucket.take()
    engine.dispose()
    assert isinstance(bucket, SharedBucket) and bucket.alone
    assert len(slept) == 5, "the local bucket still paces"
    assert [r.message for r in caplog.records if "shared rate limits" in r.message] != []
    assert len([r for r in caplog.records if "shared rate limits" in r.message]) == 1
