"""The scheduled sync: every `SYNC_INTERVAL_MINUTES`, every schedule of every workspace.

- One APScheduler job (`max_instances=1`, `coalesce=True`): a round never overlaps the
  previous one, and missed rounds collapse into one.
- Inside a round, schedules are handed out per connection (`bot.sync.lanes`): each account's
  bucket gets as many schedules in flight as keep it busy, and the account with the most work
  per unit of its rate is fed first, so a round is bounded by the buckets, not by thread count.
  Threads: the lanes' widths summed, at most `lanes.MAX_WORKERS` (12; each may hold two database
  connections: its schedule's lock and a session).
- Each run takes the schedule's lock (`bot.sync.locks`), so with several replicas on one
  PostgreSQL each schedule is synced by exactly one of them.
- Provider requests are paced per connection by `bot.sync.ratelimit`.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from sqlmodel import select

from bot.context import Context
from bot.store import Connection, Destination, Schedule, session_scope
from bot.sync.engine import sync_schedule
from bot.sync.lanes import MAX_WORKERS, Job, Lanes, lane_width, workers_for
from bot.sync.report import SyncReport

log = logging.getLogger(__name__)
WORKERS = MAX_WORKERS
JOB_ID = "oncall-sync"


def slack_client_for(ctx: Context, client: WebClient | None, team_id: str) -> WebClient | None:
    """The app's client when it has a token (single workspace); with OAuth, one with the
    workspace's installed bot token (None when the workspace has no installation)."""
    if client is None or client.token or not ctx.settings.oauth_enabled:
        return client
    try:
        from bot.store.slack_oauth import EncryptedInstallationStore

        store = EncryptedInstallationStore(ctx.settings.slack_client_id, ctx.engine, ctx.keys)
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
    except Exception:
        log.exception("could not read the Slack installation of %s", team_id)
        return None
    if bot is None or not bot.bot_token:
        return None
    return WebClient(token=bot.bot_token, base_url=client.base_url)


def round_jobs(ctx: Context) -> tuple[list[Job], dict[str, int], dict[str, float]]:
    """Every schedule with the lanes (provider + key digest, as the buckets are keyed) of its
    destinations, and each lane's width and rate from its bucket."""
    with session_scope(ctx.engine) as session:
        schedules = [(s.id, s.team_id) for s in session.exec(select(Schedule).order_by(Schedule.id))]
        conns = {c.id: c for c in session.exec(select(Connection))}
        dests = [(d.schedule_id, d.connection_id) for d in session.exec(select(Destination))]
    lane_of: dict[int, str] = {}
    widths: dict[str, int] = {}
    rates: dict[str, float] = {}
    for cid, conn in conns.items():
        try:
            key = ctx.keys.decrypt(conn.api_key_encrypted)
        except Exception:  # a key that cannot be read: its destinations report it in their run
            continue
        try:
            bucket = ctx.pacing.bucket(conn.provider, key)
        except Exception:  # a provider this version does not know: its run reports it
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


def _one(ctx: Context, client: WebClient | None, schedule_id: int, team_id: str) -> SyncReport | None:
    try:
        return sync_schedule(ctx, schedule_id, client=slack_client_for(ctx, client, team_id), refresh_home=False)
    except Exception:  # one schedule's bug must not stop the round
        log.exception("sync of schedule %s failed", schedule_id)
        return None


def _refresh_homes(ctx: Context, client: WebClient | None, teams: set[str]) -> None:
    """Once per round: each workspace with a change re-publishes every member's Home tab once."""
    from bot.services.home import refresh_homes

    for team_id in sorted(teams):
        team_client = slack_client_for(ctx, client, team_id)
        if team_client is None:
            continue
        try:
            refresh_homes(ctx, team_client, team_id)
        except Exception:
            log.exception("refreshing App Home of %s after the sync round failed", team_id)


def sync_all(ctx: Context, client: WebClient | None, *, workers: int = WORKERS) -> list[SyncReport]:
    """One round: every schedule, handed out per connection (`bot.sync.lanes`) to at most
    `workers` threads. Failures are logged per schedule."""
    jobs, widths, rates = round_jobs(ctx)
    if not jobs:
        return []
    lanes = Lanes(jobs, widths, rates)
    found: dict[int, SyncReport | None] = {}

    def work() -> None:
        while (job := lanes.take()) is not None:
            try:
                found[job.schedule_id] = _one(ctx, client, job.schedule_id, job.team_id)
            finally:
                lanes.done(job)

    threads = [threading.Thread(target=work, name=f"sync-{n}", daemon=True)
               for n in range(min(len(jobs), workers_for(widths, workers)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reports = [found.get(j.schedule_id) for j in jobs]
    team_of = {j.schedule_id: j.team_id for j in jobs}
    _refresh_homes(ctx, client, {team_of[r.schedule_id] for r in reports
                                 if r is not None and (r.changed or r.assigned)})
    done = [r for r in reports if r is not None]
    skipped = sum(1 for r in done if r.skipped)
    log.info("sync round: %d schedules, %d skipped (synced elsewhere)", len(done), skipped)
    return done


def start_scheduler(ctx: Context, client: WebClient | None, *, start: bool = True,
                    first_run: datetime | None = None) -> BackgroundScheduler:
    """Start the background scheduler running `sync_all` every SYNC_INTERVAL_MINUTES (or
    SYNC_INTERVAL_SECONDS, the sandbox's) with the first round shortly after start."""
    scheduler = BackgroundScheduler(timezone="UTC")
    seconds = ctx.settings.sync_interval_seconds or ctx.settings.sync_interval_minutes * 60
    scheduler.add_job(
        sync_all,
        "interval",
        args=(ctx, client),
        seconds=seconds,
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        next_run_time=first_run or datetime.now().astimezone() + timedelta(seconds=min(10, seconds)),
        misfire_grace_time=60,
        replace_existing=True,
    )
    from bot.services.calendar import add_calendar_job  # issue 4: calendar feeds -> time off

    add_calendar_job(scheduler, ctx, lambda team_id: slack_client_for(ctx, client, team_id))
    from bot.services.swaps_flow import add_expiry_job  # issue 6: pending swap requests expire

    add_expiry_job(scheduler, ctx, lambda team_id: slack_client_for(ctx, client, team_id))
    from bot.notify.job import add_notify_job  # issue 14: reminders and handover messages

    add_notify_job(scheduler, ctx, lambda team_id: slack_client_for(ctx, client, team_id))
    from bot.services.oncall_group import add_usergroup_job  # issue 14: on-call user groups follow handoffs

    add_usergroup_job(scheduler, ctx, lambda team_id: slack_client_for(ctx, client, team_id))
    if start:
        scheduler.start()
    return scheduler
