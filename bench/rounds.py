"""Sync rounds at scale, a month of requests against delete-and-recreate, and memory (issue 16).

    .venv/bin/python -m bench.rounds            # ~10 minutes on 2 shared cores
    .venv/bin/python -m bench.rounds --quick    # 10 and 100 schedules only
    .venv/bin/python -m bench.rounds --keys 10 --only no-work --sizes 100,1000

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
   real ceilings are projected as requests / ceiling. `--only no-work` reports only the no-work
   round: the initial export before it is then set-up (the simulators answer at once and the
   buckets do not pace it).
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


def pd_keys(n: int) -> list[str]:
    """The PagerDuty keys of `n` connections (the first is `PD_KEY`)."""
    return [PD_KEY] + [f"bench-pagerduty-key-{k:02d}-456789abcdef" for k in range(1, n)]


def og_keys(n: int) -> list[str]:
    return [OG_KEY] + [f"{k:08d}-bench-og-key-0000-aaaabbbbcccc" for k in range(1, n)]


# ---------------------------------------------------------------- simulators in a child process


def _serve(n: int, keys: int, latency: float, origin: datetime, pipe) -> None:
    pd = PagerDutySim(users=users("PU"), keys=dict.fromkeys(pd_keys(keys), "rw"))
    og = OpsgenieSim(users=users("og-u"), keys=dict.fromkeys(og_keys(keys), "rw"))
    for i in range(n):
        who = people_of(i)
        pd.add_schedule(f"PS{i}", f"Team {i}", "UTC", Rotation(origin, timedelta(days=7),
                                                               tuple(f"PU{u:03d}" for u in who)))
        og.add_schedule(f"og-{i}", f"Team {i}", "UTC", Rotation(origin, timedelta(days=7),
                                                               tuple(f"og-u{u:03d}" for u in who)))
    pd.latency = og.latency = latency
    servers = [LoopbackServer(pd.handle).start(), LoopbackServer(og.handle).start()]
    pipe.send([s.url for s in servers])
    while (msg := pipe.recv()) != "stop":  # a new latency, until told to stop
        pd.latency = og.latency = msg
        pipe.send("ok")
    for s in servers:
        s.stop()


class Simulators:
    def __init__(self, n: int, latency: float, origin: datetime, keys: int = 1):
        mp = multiprocessing.get_context("fork")
        self.pipe, child = mp.Pipe()
        self.proc = mp.Process(target=_serve, args=(n, keys, latency, origin, child), daemon=True)
        self.proc.start()
        self.pd_url, self.og_url = self.pipe.recv()

    def set_latency(self, seconds: float) -> None:
        self.pipe.send(seconds)
        self.pipe.recv()

    def stop(self) -> None:
        self.pipe.send("stop")
        self.proc.join(10)


# ---------------------------------------------------------------- the bot's world


def seed(ctx: Context, n: int, *, length_hours: int = 168, horizon: int = 30, origin: datetime,
         keys: int = 1) -> list[int]:
    """`n` linked schedules (20 members each) with PagerDuty and Opsgenie destinations, and their
    shifts assigned by the real `extend_assignments` (as linking leaves them). Schedule i exports
    through PagerDuty and Opsgenie connection i mod `keys` (each its own key)."""
    ids = []
    with session_scope(ctx.engine) as s:
        pds = [Connection(team_id=TEAM, provider="pagerduty", region="us", name=f"Acme PD {k}", can_write=True,
                          api_key_encrypted=ctx.keys.encrypt(key), key_hint=f"…{key[-4:]}")
               for k, key in enumerate(pd_keys(keys))]
        ogs = [Connection(team_id=TEAM, provider="opsgenie", region="us", name=f"Acme OG {k}", can_write=True,
                          api_key_encrypted=ctx.keys.encrypt(key), key_hint=f"…{key[-4:]}")
               for k, key in enumerate(og_keys(keys))]
        s.add_all(pds + ogs)
        s.flush()
        pattern = f'{{"pattern": {{"length_hours": {length_hours}, "handoff": "09:00"}}}}'
        for i in range(n):
            pd, og = pds[i % keys], ogs[i % keys]
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
    pd: float  # requests, all keys
    og: float
    ok: int
    keys: int = 1
    pd_max: float = 0.0  # requests of the busiest key
    og_max: float = 0.0
    cpu: float = 0.0  # CPU seconds of this process (the bot; the simulators run in a child) in the round

    def per_minute(self, kind: str) -> float:
        return (self.pd if kind == "pd" else self.og) / self.seconds * 60

    def ceiling(self, kind: str) -> float:
        """Requests per minute of one key (scaled)."""
        return (PD_PER_MINUTE if kind == "pd" else OG_PER_MINUTE) * self.scale

    def floor(self) -> float:
        """The least a round can take: the busiest key's requests past its burst, at its rate."""
        return max(max(0.0, self.pd_max - ratelimit.BURST * self.scale) / (self.ceiling("pd") / 60),
                   max(0.0, self.og_max - ratelimit.BURST * self.scale) / (self.ceiling("og") / 60))

    def real_seconds(self) -> float:
        """At the real ceilings: measured when not scaled, else the busiest key's requests / ceiling
        (projected)."""
        if self.scale == 1:
            return self.seconds
        return max(self.seconds, max(self.pd_max / PD_PER_MINUTE, self.og_max / OG_PER_MINUTE) * 60)


def _taken(ctx: Context, provider: str, keys: list[str]) -> list[float]:
    return [ctx.pacing.bucket(provider, k).taken for k in keys]


def run_rounds(n: int, scale: float, tmp: str, *, keys: int = 1, only: str | None = None,
               profile: str | None = None) -> tuple[list[Round], float]:
    """The initial export and a no-work round of `n` schedules over `keys` keys per provider.
    `only="no-work"`: the initial export is set-up (no latency, no pacing) and not reported.
    `profile`: after the rounds, one more no-work pass, schedule after schedule in this thread
    under cProfile, saved there (cProfile sees one thread only)."""
    now = datetime.now(UTC)
    sims = Simulators(n, LATENCY, now - timedelta(days=70), keys)
    settings = Settings(secret_key=Fernet.generate_key().decode(), provider_timeout_seconds=30,
                        provider_api_urls={"pagerduty": sims.pd_url, "opsgenie": sims.og_url})
    ctx = context(os.path.join(tmp, f"rounds{n}k{keys}.db"), settings)
    t0 = time.perf_counter()
    seed(ctx, n, origin=now, keys=keys)
    setup = time.perf_counter() - t0
    out = []
    try:
        if only == "no-work":
            sims.set_latency(0)
            ctx.pacing = ratelimit.Pacing(sleep=lambda _s: None)
            t0 = time.perf_counter()
            sync_all(ctx, None)
            setup += time.perf_counter() - t0
            sims.set_latency(LATENCY)
        for phase in ("initial export", "no work"):
            if only == "no-work" and phase != "no work":
                continue
            ctx.pacing = ScaledPacing(scale) if scale != 1 else ratelimit.Pacing()
            t0, c0 = time.perf_counter(), time.process_time()
            reports = sync_all(ctx, None)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            pd, og = _taken(ctx, "pagerduty", pd_keys(keys)), _taken(ctx, "opsgenie", og_keys(keys))
            ok = sum(1 for r in reports for d in r.destinations if d.status == "ok")
            out.append(Round(n, phase, seconds, scale, sum(pd), sum(og), ok, keys, max(pd), max(og), cpu))
        if profile:
            _profile_pass(ctx, profile)
    finally:
        ctx.close()
        ctx.engine.dispose()
        sims.stop()
    return out, setup


def _profile_pass(ctx: Context, path: str) -> None:
    import cProfile

    ctx.pacing = ratelimit.Pacing(sleep=lambda _s: None)
    with session_scope(ctx.engine) as s:
        ids = list(s.exec(select(Schedule.id).order_by(Schedule.id)))
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for sid in ids:
        sync_schedule(ctx, sid)
    prof.disable()
    print(f"   (profiled no-work pass: {len(ids)} schedules one after another in {time.perf_counter() - t0:.1f} s,"
          f" saved to {path})")
    prof.dump_stats(path)


def print_rounds(rows: list[Round]) -> None:
    head = (f"{'schedules':>9} {'keys':>4}  {'round':<15} {'scale':>5} {'seconds':>8} {'at 1×':>8} {'PD req':>7} {'PD/min':>7} "
            f"{'of ceil':>7} {'OG req':>7} {'OG/min':>7} {'of ceil':>7} {'floor':>7} {'of floor':>8} {'ok dest':>8} "
            f"{'growth':>7} {'CPU s':>6} {'ms/dest':>7}")
    print(head)
    print("-" * len(head))
    prev: dict[str, Round] = {}
    for r in rows:
        growth = r.real_seconds() / prev[r.phase].real_seconds() if r.phase in prev else float("nan")
        prev[r.phase] = r
        print(f"{r.n:>9} {r.keys:>4}  {r.phase:<15} {r.scale:>4.0f}× {r.seconds:>8.1f} {r.real_seconds():>8.1f} {r.pd:>7.0f} "
              f"{r.per_minute('pd'):>7.0f} {r.per_minute('pd') / r.ceiling('pd') / r.keys:>6.0%} {r.og:>7.0f} "
              f"{r.per_minute('og'):>7.0f} {r.per_minute('og') / r.ceiling('og') / r.keys:>6.0%} {r.floor():>7.1f} "
              f"{r.floor() / r.seconds:>7.0%} {r.ok:>4}/{2 * r.n:<4}"
              + (f" {growth:>6.1f}×" if growth == growth else f" {'':>7}")
              + f" {r.cpu:>6.1f} {r.cpu * 1000 / (2 * r.n):>7.1f}")


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
    parser.add_argument("--keys", type=int, default=1, help="PagerDuty and Opsgenie keys (connections) each")
    parser.add_argument("--only", choices=("no-work",), help="only the no-work rounds (no month, no memory)")
    parser.add_argument("--sizes", help=f"schedule counts, e.g. 100,1000 (1,000 and more scaled ×{SCALE})")
    parser.add_argument("--scale", type=float, help=f"bucket scale for every size (default: ×{SCALE} from 1,000)")
    parser.add_argument("--profile", help="cProfile a sequential no-work pass of the first size into this file")
    args = parser.parse_args()
    idle = rss_mb()
    print(f"{os.cpu_count()} cores; provider latency {LATENCY * 1000:.0f} ms; buckets PagerDuty "
          f"{PD_PER_MINUTE}/min, Opsgenie {OG_PER_MINUTE}/min, burst {ratelimit.BURST}; {args.keys} key(s) each")
    sizes = ([int(x) for x in args.sizes.split(",")] if args.sizes
             else [10, 100] + ([] if args.quick else [1000]))
    with tempfile.TemporaryDirectory() as tmp:
        if args.only is None:
            print("\n== the month: 30 daily syncs, 4 swaps, 12-hour shifts (requests after the first export)")
            print_month(tmp)
        print(f"\n== sync rounds: weekly shifts, 20 people, 30-day horizon, {args.keys} PagerDuty and "
              f"{args.keys} Opsgenie key(s)")
        rows = []
        for i, n in enumerate(sizes):
            scale = args.scale if args.scale else (SCALE if n >= 1000 else 1)
            got, setup = run_rounds(n, scale, tmp, keys=args.keys, only=args.only,
                                    profile=args.profile if i == 0 else None)
            rows += got
            print(f"   ({n} schedules linked{' and exported' if args.only else ''} in {setup:.0f} s)", flush=True)
        print_rounds(rows)
        if args.only is None:
            gc.collect()
            print(f"\n== memory: RSS idle {idle:.0f} MB; after the rounds {rss_mb():.0f} MB (target ≤ 150 MB)")


if __name__ == "__main__":
    main()
