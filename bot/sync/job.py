"""One sync round: every schedule of every workspace (`sync_round`); `bot.jobs` runs it on a timer.

- Schedules run on a small thread pool (`WORKERS`), so one slow provider does not hold up the
  others; each run takes the schedule's lock (`bot.sync.locks`), so with several replicas on one
  PostgreSQL each schedule is synced by exactly one of them.
- Provider requests are paced per connection by `bot.sync.ratelimit`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import select

from bot.context import Context
from bot.events import Notify
from bot.store import Schedule, session_scope
from bot.sync.engine import sync_schedule
from bot.sync.report import SyncReport

log = logging.getLogger(__name__)
WORKERS = 3

NotifyFor = Callable[[str], Notify | None]  # team id -> how that workspace is told (None: not at all)


def schedule_ids(ctx: Context) -> list[tuple[int, str]]:
    with session_scope(ctx.engine) as session:
        return [(s.id, s.team_id) for s in session.exec(select(Schedule).order_by(Schedule.id))]


def _one(ctx: Context, notify_for: NotifyFor, schedule_id: int, team_id: str) -> SyncReport | None:
    try:
        return sync_schedule(ctx, schedule_id, notify=notify_for(team_id))
    except Exception:  # one schedule's bug must not stop the round
        log.exception("sync of schedule %s failed", schedule_id)
        return None


def sync_round(ctx: Context, notify_for: NotifyFor, *, workers: int = WORKERS) -> list[tuple[str, SyncReport]]:
    """Every schedule, at most `workers` at once: (team id, report) of each that ran. Failures are
    logged per schedule."""
    todo = schedule_ids(ctx)
    if not todo:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo))), thread_name_prefix="sync") as pool:
        futures = [(team, pool.submit(_one, ctx, notify_for, sid, team)) for sid, team in todo]
        done = [(team, f.result()) for team, f in futures]
    done = [(team, r) for team, r in done if r is not None]
    skipped = sum(1 for _, r in done if r.skipped)
    log.info("sync round: %d schedules, %d skipped (synced elsewhere)", len(done), skipped)
    return done
