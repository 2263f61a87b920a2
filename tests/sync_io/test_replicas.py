"""Two replicas on one PostgreSQL: two sync loops at once (separate engines, separate contexts)
over several schedules, with slow providers. No schedule is ever exported by both at the same
time, and no override is duplicated. (CI sets ONCALL_REQUIRE_POSTGRES=1: never skipped there.)"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import httpx
from cryptography.fernet import Fernet
from sqlmodel import select

import bot.sync.engine as engine_mod
from bot.config import Settings
from bot.store import ExportedOverride, session_scope
from bot.store.db import make_engine
from tests.plugins.world import Clock, add_world, make_ctx
from tests.sync_io.fakes import T0, FakePagerDuty

SCHEDULES = 4
ROUNDS = 3


def test_two_replicas_never_sync_one_schedule_at_once(pg_engine, pg_url, conformant_respx, monkeypatch,
                                                      job_module):
    clock = Clock(T0 + timedelta(days=2, hours=3))
    settings = Settings(secret_key=Fernet.generate_key().decode())
    fakes, worlds = [], []
    with httpx.HTTPTransport() as http_a, httpx.HTTPTransport() as http_b:
        engines = [make_engine(pg_url), make_engine(pg_url)]
        replicas = [make_ctx(engines[0], clock, http_a, settings), make_ctx(engines[1], clock, http_b, settings)]
        for i in range(SCHEDULES):
            fakes.append(FakePagerDuty(conformant_respx, clock, schedule_id=f"PS{i}", delay=0.01))
            worlds.append(add_world(replicas[0], name=f"Team {i}", provider_schedule_id=f"PS{i}", weeks=5))

        intervals: list[tuple[int, int, float, float]] = []
        guard = threading.Lock()
        real_run = engine_mod._run
        replica_of = {id(c): n for n, c in enumerate(replicas)}

        def recording_run(ctx, schedule_id, client, only):
            start = time.perf_counter()
            try:
                return real_run(ctx, schedule_id, client, only)
            finally:
                with guard:
                    intervals.append((schedule_id, replica_of[id(ctx)], start, time.perf_counter()))

        monkeypatch.setattr(engine_mod, "_run", recording_run)
        barrier = threading.Barrier(2)
        skipped = [0, 0]
        errors: list[BaseException] = []

        def loop(n: int) -> None:
            try:
                barrier.wait(5)
                for _ in range(ROUNDS):
                    skipped[n] += sum(1 for r in job_module.sync_all(replicas[n], None, workers=2) if r.skipped)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=loop, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for e in engines:
            e.dispose()

    assert not errors, errors
    assert len(intervals) + sum(skipped) == 2 * ROUNDS * SCHEDULES
    for sid in {w.schedule_id for w in worlds}:
        runs = sorted((a, b, r) for s, r, a, b in intervals if s == sid)
        for (_a1, b1, r1), (a2, _b2, r2) in zip(runs, runs[1:], strict=False):
            assert b1 <= a2, f"schedule {sid}: replica {r1} and {r2} synced it at the same time"
    for fake, world in zip(fakes, worlds, strict=True):
        live = fake.live()
        assert len(live) == 5 and len({(o.start, o.end) for o in live}) == 5, "no duplicate overrides"
        assert len(fake.requests("POST")) == 1, "exported once; later runs found nothing to do"
        with session_scope(pg_engine) as session:
            rows = session.exec(select(ExportedOverride).where(
                ExportedOverride.destination_id == world.destination_id)).all()
        assert sorted(r.override_id for r in rows) == sorted(o.id for o in live)
