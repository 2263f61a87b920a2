"""The scheduled sync: every `SYNC_INTERVAL_MINUTES`, every schedule of every workspace.

- One APScheduler job (`max_instances=1`, `coalesce=True`): a round never overlaps the
  previous one, and missed rounds collapse into one.
- Inside a round, schedules run on a small thread pool (`WORKERS`), so one slow provider does
  not hold up the others; each run takes the schedule's lock (`bot.sync.locks`), so with
  several replicas on one PostgreSQL each schedule is synced by exactly one of them.
- Provider requests are paced per connection by `bot.sync.ratelimit`.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from sqlmodel import select

from bot.context import Context
from bot.store import Schedule, session_scope
from bot.sync.engine import sync_schedule
from bot.sync.report import SyncReport

log = logging.getLogger(__name__)
WORKERS = 3
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


def schedule_ids(ctx: Context) -> list[tuple[int, str]]:
    with session_scope(ctx.engine) as session:
        return [(s.id, s.team_id) for s in session.exec(select(Schedule).order_by(Schedule.id))]


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
    """One round: every schedule, at most `workers` at once. Failures are logged per schedule."""
    todo = schedule_ids(ctx)
    if not todo:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo))), thread_name_prefix="sync") as pool:
        futures = [pool.submit(_one, ctx, client, sid, team) for sid, team in todo]
        reports = [f.result() for f in futures]
    team_of = dict(todo)
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
