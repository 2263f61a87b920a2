"""Sync rounds at scale, a month of requests against delete-and-recreate, and memory (issue 16).

    .venv/bin/python -m bench.rounds            # ~10 minutes on 2 shared cores
    .venv/bin/python -m bench.rounds --quick    # 10 and 100 schedules only

1. **Rounds** (`bot.jobs.sync_all`, the real engine, SQLite): N = 10, 100, 1,000 linked
   schedules, each with 20 people, weekly shifts, a 30-day horizon, exported to one PagerDuty and
   one Opsgenie schedule, all under one key per provider. The simulators (`bot/sandbox`) run in a
   child process (their CPU is not the bot's), served over loopback HTTP, answering every request
   after `LATENCY`. Per N: the initial export (shifts assigned at linking, nothing exported) and
   then a round with no work. Printed per key: requests, requests/minute against the bucket's
   ceiling, and how close the round came to its floor (the busiest key's requests beyond its burst
   at its rate: no pacing can do better). The 1,000-schedule rounds run with every bucket scaled
   ×`SCALE` (rate and burst) so they take minutes, not an hour: the bot must then sustain 10× the
   request rate, so the utilisation shown is a lower bound of the real one; their times at the
   real ceilings are projected as requests / ceiling.
2. **The month**: one schedule (12-hour shifts, 30- and 90-day horizons, PagerDuty and Opsgenie
   destinations), 30 daily syncs with 4 swaps on the way (the bot's requests as sent to the
   simulators), against a naive exporter that lists, deletes every override not started yet and
   creates them all again each day (its requests counted from the same shifts).
3. **Memory**: the RSS of this process (the bot's code and data, plus this harness) idle after
   start, and after the 1,000-schedule rounds.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from sqlmodel import select

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.jobs import sync_all
from bot.providers.opsgenie import OpsgenieProvider
from bot.providers.pagerduty import PagerDutyProvider
from bot.sandbox.http import LoopbackServer
from bot.sandbox.opsgenie import OpsgenieSim
from bot.sandbox.pagerduty import PagerDutySim
from bot.sandbox.schedule import Rotation
from bot.store import Connection, Destination, Member, Schedule, Shift, session_scope
from bot.store.db import make_engine, upgrade
from bot.sync import ratelimit
from bot.sync.assignments import extend_assignments
from bot.sync.engine import sync_schedule

LATENCY = 0.05
PEOPLE = 20
USERS = 200  # per provider account; each schedule takes 20 of them
SCALE = 10
PD_KEY = "bench-pagerduty-key-0123456789abcdef"
OG_KEY = "00000000-bench-og-key-0000-aaaabbbbcccc"
TEAM = "T1"
PD_PER_MINUTE = PagerDutyProvider.requests_per_minute
OG_PER_MINUTE = OpsgenieProvider.requests_per_minute


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class ScaledPacing(ratelimit.Pacing):
    """The bot's buckets with rate and burst multiplied by `scale` (the 1,000-schedule rounds)."""

    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale
        self._scaled: dict[tuple[str, str], ratelimit.TokenBucket] = {}

    def bucket(self, provider: str, api_key: str) -> ratelimit.TokenBucket:
        real = super().bucket(provider, api_key)
        with self._guard:
            key = (provider, api_key)
            if key not in self._scaled:
                self._scaled[key] = ratelimit.TokenBucket(real.rate * self.scale, real.capacity * self.scale)
            return self._scaled[key]


def users(prefix: str) -> dict[str, tuple[str, str]]:
    return {f"{prefix}{i:03d}": (f"Person {i}", f"p{i}@example.com") for i in range(USERS)}


def people_of(i: int) -> list[int]:
    return [(i * 7 + j) % USERS for j in range(PEOPLE)]


# ---------------------------------------------------------------- simulators in a child process


def _serve(n: int, latency: float, origin: datetime, pipe) -> None:
    pd = PagerDutySim(users=users("PU"))
    og = OpsgenieSim(users=users("og-u"))
    for i in range(n):
        who = people_of(i)
        pd.add_schedule(f"PS{i}", f"Team {i}", "UTC", Rotation(origin, timedelta(days=7),
                                                               tuple(f"PU{u:03d}" for u in who)))
        og.add_schedule(f"og-{i}", f"Team {i}", "UTC", Rotation(origin, timedelta(days=7),
                                                               tuple(f"og-u{u:03d}" for u in who)))
    pd.latency = og.latency = latency
    servers = [LoopbackServer(pd.handle).start(), LoopbackServer(og.handle).start()]
    pipe.send([s.url for s in servers])
    pipe.recv()  # until told to stop
    for s in servers:
        s.stop()


class Simulators:
    def __init__(self, n: int, latency: float, origin: datetime):
        mp = multiprocessing.get_context("fork")
        self.pipe, child = mp.Pipe()
        self.proc = mp.Process(target=_serve, args=(n, latency, origin, child), daemon=True)
        self.proc.start()
        self.pd_url, self.og_url = self.pipe.recv()

    def stop(self) -> None:
        self.pipe.send("stop")
        self.proc.join(10)


# ---------------------------------------------------------------- the bot's world


def seed(ctx: Context, n: int, *, length_hours: int = 168, horizon: int = 30, origin: datetime) -> list[int]:
    """`n` linked schedules (20 members each) with PagerDuty and Opsgenie destinations, and their
    shifts assigned by the real `extend_assignments` (as linking leaves them)."""
    ids = []
    with session_scope(ctx.engine) as s:
        pd = Connection(team_id=TEAM, provider="pagerduty", region="us", name="Acme PD", can_write=True,
                        api_key_encrypted=ctx.keys.encrypt(PD_KEY), key_hint="…cdef")
        og = Connection(team_id=TEAM, provider="opsgenie", region="us", name="Acme OG", can_write=True,
                        api_key_encrypted=ctx.keys.encrypt(OG_KEY), key_hint="…cccc")
        s.add_all([pd, og])
        s.flush()
        pattern = f'{{"pattern": {{"length_hours": {length_hours}, "handoff": "09:00"}}}}'
        for i in range(n):
            sched = Schedule(team_id=TEAM, name=f"Team {i}", connection_id=pd.id, source_schedule_id=f"PS{i}",
                             time_zone="UTC", horizon_days=horizon, channel_id=None, pattern_json=pattern)
            s.add(sched)
            s.flush()
            ids.append(sched.id)
            for pos, u in enumerate(people_of(i)):
                s.add(Member(team_id=TEAM, schedule_id=sched.id, slack_user_id=f"U{u:03d}", email=f"p{u}@example.com",
                             name=f"Person {u}", source_user_id=f"PU{u:03d}", position=pos,
                             joined_at=origin - timedelta(days=60)))
            for conn, psid in ((pd, f"PS{i}"), (og, f"og-{i}")):
                s.add(Destination(team_id=TEAM, schedule_id=sched.id, connection_id=conn.id,
                                  provider_schedule_id=psid, provider_schedule_name=f"Team {i}"))
    for sid in ids:
        with session_scope(ctx.engine) as s:
            extend_assignments(ctx, s, s.get(Schedule, sid), ctx.clock())
    return ids


def context(db: str, settings: Settings, clock=None) -> Context:
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    kw = {"clock": clock} if clock else {}
    return Context(settings=settings, engine=engine, keys=KeyBox(settings.secret_key), **kw)


# ---------------------------------------------------------------- rounds


@dataclass
class Round:
    n: int
    phase: str
    seconds: float
    scale: float
    pd: float
    og: float
    ok: int

    def per_minute(self, kind: str) -> float:
        return (self.pd if kind == "pd" else self.og) / self.seconds * 60

    def ceiling(self, kind: str) -> float:
        return (PD_PER_MINUTE if kind == "pd" else OG_PER_MINUTE) * self.scale

    def floor(self) -> float:
        """The least a round can take: the busiest key's requests past its burst, at its rate."""
        return max(max(0.0, self.pd - ratelimit.BURST * self.scale) / (self.ceiling("pd") / 60),
                   max(0.0, self.og - ratelimit.BURST * self.scale) / (self.ceiling("og") / 60))

    def real_seconds(self) -> float:
        """At the real ceilings: measured when not scaled, else requests / ceiling (projected)."""
        if self.scale == 1:
            return self.seconds
        return max(self.seconds, max(self.pd / PD_PER_MINUTE, self.og / OG_PER_MINUTE) * 60)


def run_rounds(n: int, scale: float, tmp: str) -> tuple[list[Round], float]:
    now = datetime.now(UTC)
    sims = Simulators(n, LATENCY, now - timedelta(days=70))
    settings = Settings(secret_key=Fernet.generate_key().decode(), provider_timeout_seconds=30,
                        provider_api_urls={"pagerduty": sims.pd_url, "opsgenie": sims.og_url})
    ctx = context(os.path.join(tmp, f"rounds{n}.db"), settings)
    t0 = time.perf_counter()
    seed(ctx, n, origin=now)
    setup = time.perf_counter() - t0
    out = []
    try:
        for phase in ("initial export", "no work"):
            ctx.pacing = ScaledPacing(scale) if scale != 1 else ratelimit.Pacing()
            t0 = time.perf_counter()
            reports = sync_all(ctx, None)
            seconds = time.perf_counter() - t0
            taken = {p: ctx.pacing.bucket(p, k).taken for p, k in (("pagerduty", PD_KEY), ("opsgenie", OG_KEY))}
            ok = sum(1 for r in reports for d in r.destinations if d.status == "ok")
            out.append(Round(n, phase, seconds, scale, taken["pagerduty"], taken["opsgenie"], ok))
    finally:
        ctx.close()
        ctx.engine.dispose()
        sims.stop()
    return out, setup


def print_rounds(rows: list[Round]) -> None:
    head = (f"{'schedules':>9}  {'round':<15} {'scale':>5} {'seconds':>8} {'at 1×':>8} {'PD req':>7} {'PD/min':>7} "
            f"{'of ceil':>7} {'OG req':>7} {'OG/min':>7} {'of ceil':>7} {'floor':>7} {'of floor':>8} {'ok dest':>8} "
            f"{'growth':>7}")
    print(head)
    print("-" * len(head))
    prev: dict[str, Round] = {}
    for r in rows:
        growth = r.real_seconds() / prev[r.phase].real_seconds() if r.phase in prev else float("nan")
        prev[r.phase] = r
        print(f"{r.n:>9}  {r.phase:<15} {r.scale:>4.0f}× {r.seconds:>8.1f} {r.real_seconds():>8.1f} {r.pd:>7.0f} "
              f"{r.per_minute('pd'):>7.0f} {r.per_minute('pd') / r.ceiling('pd'):>6.0%} {r.og:>7.0f} "
              f"{r.per_minute('og'):>7.0f} {r.per_minute('og') / r.ceiling('og'):>6.0%} {r.floor():>7.1f} "
              f"{r.floor() / r.seconds:>7.0%} {r.ok:>4}/{2 * r.n:<4}"
              + (f" {growth:>6.1f}×" if growth == growth else f" {'':>7}"))


# ---------------------------------------------------------------- the month


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _swap(ctx: Context, sid: int, index: int) -> None:
    """A manager moves one future shift to the next person (a new version), as a swap does."""
    from bot.store.shifts import reassign_shift

    with session_scope(ctx.engine) as s:
        rows = s.exec(select(Shift).where(Shift.schedule_id == sid, Shift.start > ctx.clock())
                      .order_by(Shift.start)).all()
        a, b = rows[index], rows[index + 1]
        reassign_shift(s, a.id, from_member=a.member_id, version=a.version, to_member=b.member_id, now=ctx.clock())


def _naive_day(ctx: Context, sid: int, previous: list[tuple[datetime, datetime]]) -> tuple[dict[str, int],
                                                                                          list[tuple[datetime, datetime]]]:
    """The requests a naive exporter sends today, per provider: list the horizon's overrides,
    delete every one not started yet (yesterday's creates), create one per shift again (PagerDuty
    50 per bulk POST, Opsgenie one each). Counted from the same shifts the bot exports (sending
    them through the simulators would only slow the bench down: no request here is conditional)."""
    now = ctx.clock()
    with session_scope(ctx.engine) as s:
        sched = s.get(Schedule, sid)
        horizon = now + timedelta(days=sched.horizon_days)
        shifts = [(x.start, x.end) for x in s.exec(select(Shift).where(Shift.schedule_id == sid, Shift.end > now,
                                                                      Shift.start < horizon))]
    deletes = sum(1 for start, _end in previous if start >= now)
    return ({"pagerduty": 1 + deletes + -(-len(shifts) // 50), "opsgenie": 1 + deletes + len(shifts)},
            [(max(a, now), b) for a, b in shifts])


def month(horizon: int, tmp: str, naive: bool) -> dict[str, float]:
    """Requests per provider over 30 daily syncs with 4 swaps (after the first export)."""
    start = datetime(2026, 11, 2, 7, tzinfo=UTC)
    clock = FakeClock(start)
    pd = PagerDutySim(users=users("PU"), clock=clock)
    og = OpsgenieSim(users=users("og-u"), clock=clock)
    who = people_of(0)
    pd.add_schedule("PS0", "Team 0", "UTC", Rotation(start - timedelta(days=70), timedelta(days=7),
                                                     tuple(f"PU{u:03d}" for u in who)))
    og.add_schedule("og-0", "Team 0", "UTC", Rotation(start - timedelta(days=70), timedelta(days=7),
                                                      tuple(f"og-u{u:03d}" for u in who)))
    servers = [LoopbackServer(pd.handle).start(), LoopbackServer(og.handle).start()]
    settings = Settings(secret_key=Fernet.generate_key().decode(),
                        provider_api_urls={"pagerduty": servers[0].url, "opsgenie": servers[1].url})
    ctx = context(os.path.join(tmp, f"month{horizon}{naive}.db"), settings, clock)
    ctx.sleep = lambda _s: None
    ctx.pacing = ratelimit.Pacing(sleep=lambda _s: None)
    (sid,) = seed(ctx, 1, length_hours=12, horizon=horizon, origin=start)
    try:
        sync_schedule(ctx, sid)  # the first export, not counted
        base = {p: ctx.pacing.bucket(p, k).taken for p, k in (("pagerduty", PD_KEY), ("opsgenie", OG_KEY))}
        counted = {"pagerduty": 0, "opsgenie": 0}
        previous = _naive_day(ctx, sid, [])[1]
        for day in range(30):
            clock.now += timedelta(days=1)
            if day in (3, 10, 17, 24):
                _swap(ctx, sid, 3 + day % 5)
            if naive:
                with session_scope(ctx.engine) as s:
                    extend_assignments(ctx, s, s.get(Schedule, sid), clock.now)
                today, previous = _naive_day(ctx, sid, previous)
                counted = {p: counted[p] + today[p] for p in counted}
            else:
                sync_schedule(ctx, sid)
        if naive:
            return {p: float(v) for p, v in counted.items()}
        return {p: ctx.pacing.bucket(p, k).taken - base[p] for p, k in (("pagerduty", PD_KEY), ("opsgenie", OG_KEY))}
    finally:
        ctx.close()
        ctx.engine.dispose()
        for s in servers:
            s.stop()


def print_month(tmp: str) -> list[tuple[int, float]]:
    print(f"{'horizon':>8} {'':<10} {'PagerDuty':>10} {'Opsgenie':>10} {'both':>8}")
    ratios = []
    for horizon in (30, 90):
        ours, naive = month(horizon, tmp, False), month(horizon, tmp, True)
        both = (sum(naive.values()), sum(ours.values()))
        print(f"{horizon:>6} d {'bot':<10} {ours['pagerduty']:>10.0f} {ours['opsgenie']:>10.0f} {both[1]:>8.0f}")
        print(f"{'':>8} {'naive':<10} {naive['pagerduty']:>10.0f} {naive['opsgenie']:>10.0f} {both[0]:>8.0f}")
        ratio = both[0] / both[1]
        print(f"{'':>8} {'naive/bot':<10} {naive['pagerduty'] / ours['pagerduty']:>9.1f}× "
              f"{naive['opsgenie'] / ours['opsgenie']:>9.1f}× {ratio:>7.1f}×")
        ratios.append((horizon, ratio))
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 and 100 schedules only")
    args = parser.parse_args()
    idle = rss_mb()
    print(f"{os.cpu_count()} cores; provider latency {LATENCY * 1000:.0f} ms; buckets PagerDuty "
          f"{PD_PER_MINUTE}/min, Opsgenie {OG_PER_MINUTE}/min, burst {ratelimit.BURST}")
    with tempfile.TemporaryDirectory() as tmp:
        print("\n== the month: 30 daily syncs, 4 swaps, 12-hour shifts (requests after the first export)")
        print_month(tmp)
        print("\n== sync rounds: weekly shifts, 20 people, 30-day horizon, one PagerDuty and one Opsgenie key")
        rows = []
        for n, scale in ((10, 1), (100, 1)) + (() if args.quick else ((1000, SCALE),)):
            got, setup = run_rounds(n, scale, tmp)
            rows += got
            print(f"   ({n} schedules linked in {setup:.0f} s)", flush=True)
        print_rounds(rows)
        gc.collect()
        print(f"\n== memory: RSS idle {idle:.0f} MB; after the rounds {rss_mb():.0f} MB (target ≤ 150 MB)")


if __name__ == "__main__":
    main()
