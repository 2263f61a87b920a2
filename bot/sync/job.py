"""One sync round: every schedule of every workspace (`sync_round`); `bot.jobs` runs it on a timer.

- Schedules are handed out per connection (`bot.sync.lanes`): each account's bucket gets as many
  schedules in flight as keep it busy, and the account with the most work per unit of its rate
  is fed first, so a round is bounded by the buckets, not by thread count. Threads: the lanes'
  widths summed, at most `lanes.MAX_WORKERS` (12; each may hold two database connections: its
  schedule's lock and a session).
- Each run takes the schedule's lock (`bot.sync.locks`), so with several replicas on one
  PostgreSQL each schedule is synced by exactly one of them.
- Provider requests are paced per connection by `bot.sync.ratelimit`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlmodel import select

from bot.context import Context
from bot.events import Notify
from bot.store import Connection, Destination, Schedule, session_scope
from bot.sync.engine import sync_schedule
from bot.sync.lanes import MAX_WORKERS, Job, Lanes, lane_width, workers_for
from bot.sync.report import SyncReport

log = logging.getLogger(__name__)
WORKERS = MAX_WORKERS

NotifyFor = Callable[[str], Notify | None]  # team id -> how that workspace is told (None: not at all)


def round_jobs(ctx: Context) -> tuple[list[Job], dict[str, int], dict[str, float]]:
    """Every schedule with the lanes of its destinations (one per account bucket), and each lane's
    width and rate from its bucket."""
    with session_scope(ctx.engine) as session:
        schedules = [(s.id, s.team_id) for s in session.exec(select(Schedule).order_by(Schedule.id))]
        conns = {c.id: c for c in session.exec(select(Connection))}
        dests = [(d.schedule_id, d.connection_id) for d in session.exec(select(Destination))]
    lane_of: dict[int, str] = {}
    widths: dict[str, int] = {}
    rates: dict[str, float] = {}
    for cid, conn in conns.items():
        try:
            bucket = ctx.pacing.bucket(conn.provider, ctx.keys.decrypt(conn.api_key_encrypted))
        except Exception:  # an unreadable key or a provider this version does not know: its run says so
            continue
        lane = f"{conn.provider}:{id(bucket)}"  # buckets are made once per account: one lane each
        lane_of[cid] = lane
        rates[lane] = bucket.rate
        widths[lane] = lane_width(rates[lane])
    lanes: dict[int, set[str]] = {}
    for sid, cid in dests:
        if cid in lane_of:
            lanes.setdefault(sid, set()).add(lane_of[cid])
    return [Job(sid, team, frozenset(lanes.get(sid, ()))) for sid, team in schedules], widths, rates


def _one(ctx: Context, notify_for: NotifyFor, schedule_id: int, team_id: str) -> SyncReport | None:
    try:
        return sync_schedule(ctx, schedule_id, notify=notify_for(team_id))
    except Exception:  # one schedule's bug must not stop the round
        log.exception("sync of schedule %s failed", schedule_id)
        return None


def sync_round(ctx: Context, notify_for: NotifyFor, *, workers: int = WORKERS) -> list[tuple[str, SyncReport]]:
    """Every schedule, handed out per connection (`bot.sync.lanes`) to at most `workers` threads:
    (team id, report) of each that ran. Failures are logged per schedule."""
    jobs, widths, rates = round_jobs(ctx)
    if not jobs:
        return []
    lanes = Lanes(jobs, widths, rates)
    found: dict[int, SyncReport | None] = {}

    def work() -> None:
        while (job := lanes.take()) is not None:
            try:
                found[job.schedule_id] = _one(ctx, notify_for, job.schedule_id, job.team_id)
            finally:
                lanes.done(job)

    threads = [threading.Thread(target=work, name=f"sync-{n}", daemon=True)
               for n in range(min(len(jobs), workers_for(widths, workers)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [(j.team_id, r) for j in jobs if (r := found.get(j.schedule_id)) is not None]
    skipped = sum(1 for _, r in done if r.skipped)
    log.info("sync round: %d schedules, %d skipped (synced elsewhere)", len(done), skipped)
    return done
