"""The bot's timers (APScheduler): the sync round every `SYNC_INTERVAL_MINUTES`, the calendar
feed refresh, the swap-request expiry, reminders and handover messages, and the on-call user
groups at each handoff, each telling Slack through `bot.notify`.

- One job per kind (`max_instances=1`, `coalesce=True`): a round never overlaps the previous
  one, and missed rounds collapse into one.
- With OAuth (several workspaces), each workspace is told with its own bot token
  (`slack_client_for`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.context import Context
from bot.notify.home import refresh_homes
from bot.notify.job import add_notify_job
from bot.notify.slack import slack_notify
from bot.notify.swaps import add_expiry_job
from bot.notify.timeoff import calendar_notices
from bot.notify.usergroup import add_usergroup_job
from bot.services.calendar import add_calendar_job
from bot.store.slack_oauth import EncryptedInstallationStore
from bot.sync.job import WORKERS, sync_round
from bot.sync.report import SyncReport

log = logging.getLogger(__name__)
JOB_ID = "oncall-sync"


def slack_client_for(ctx: Context, client: WebClient | None, team_id: str) -> WebClient | None:
    """The app's client when it has a token (single workspace); with OAuth, one with the
    workspace's installed bot token (None when the workspace has no installation)."""
    if client is None or client.token or not ctx.settings.oauth_enabled:
        return client
    try:
        store = EncryptedInstallationStore(ctx.settings.slack_client_id, ctx.engine, ctx.keys)
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
    except Exception:
        log.exception("could not read the Slack installation of %s", team_id)
        return None
    if bot is None or not bot.bot_token:
        return None
    return WebClient(token=bot.bot_token, base_url=client.base_url)


def _refresh_homes(ctx: Context, client: WebClient | None, teams: set[str]) -> None:
    """Once per round: each workspace with a change re-publishes every member's Home tab once."""
    for team_id in sorted(teams):
        team_client = slack_client_for(ctx, client, team_id)
        if team_client is None:
            continue
        try:
            refresh_homes(ctx, team_client, team_id)
        except Exception:
            log.exception("refreshing App Home of %s after the sync round failed", team_id)


def sync_all(ctx: Context, client: WebClient | None, *, workers: int = WORKERS) -> list[SyncReport]:
    """One sync round (`bot.sync.job.sync_round`) whose alerts go to each workspace's Slack,
    then App Home once per workspace with a change."""
    done = sync_round(ctx, lambda team_id: slack_notify(slack_client_for(ctx, client, team_id)), workers=workers)
    _refresh_homes(ctx, client, {team for team, r in done if r.changed or r.assigned})
    return [r for _, r in done]


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
    client_for = lambda team_id: slack_client_for(ctx, client, team_id)  # noqa: E731
    add_calendar_job(scheduler, ctx, client_for, calendar_notices)
    add_expiry_job(scheduler, ctx, client_for)
    add_notify_job(scheduler, ctx, client_for)
    add_usergroup_job(scheduler, ctx, client_for)
    if start:
        scheduler.start()
    return scheduler
