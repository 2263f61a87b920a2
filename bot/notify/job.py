"""The notification round (issue 14): every `INTERVAL_SECONDS`, send the reminders and handover
messages that are due (`bot.services.reminders`, `bot.services.handover`), each claimed first so
that several replicas and restarts send it once. One APScheduler job next to the sync's
(`max_instances=1`, `coalesce=True`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot.context import Context
from bot.notify.handover import post_handover
from bot.notify.reminders import send_reminder
from bot.services import handover, reminders
from bot.services.directory import Directory
from bot.services.timeoff import user_zone

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 60
JOB_ID = "oncall-notify"
ClientFor = Callable[[str], WebClient | None]  # team id -> a client for that workspace


@dataclass
class Sent:
    reminders: int = 0
    handovers: int = 0
    skipped: int = 0  # claimed by another replica (or earlier) meanwhile
    failed: int = 0


def notify_round(ctx: Context, client_for: ClientFor | WebClient | None, now: datetime | None = None) -> Sent:
    """Send what is due now. Slack failures are logged and recorded on the claim, never retried."""
    now = now or ctx.clock()
    clients: dict[str, WebClient | None] = {}

    def client(team_id: str) -> WebClient | None:
        if team_id not in clients:
            clients[team_id] = (client_for if isinstance(client_for, WebClient) or client_for is None
                                else client_for(team_id))
        return clients[team_id]

    def zone_of(team_id: str, user_id: str, fallback: str) -> str:
        c = client(team_id)
        return user_zone(Directory(c), user_id, fallback) if c is not None else fallback

    sent = Sent()
    for h in handover.due_handovers(ctx.engine, now):
        c = client(h.team_id)
        if c is None:
            continue
        claim_id = handover.claim(ctx.engine, h, now)
        if claim_id is None:
            sent.skipped += 1
            continue
        ts, error = post_handover(c, h)
        handover.record(ctx.engine, claim_id, ts=ts, error=error)
        sent.handovers += error is None
        sent.failed += error is not None
    for r in reminders.due_reminders(ctx.engine, now, zone_of):
        c = client(r.team_id)
        if c is None:
            continue
        claim_id = reminders.claim(ctx.engine, r, now)
        if claim_id is None:
            sent.skipped += 1
            continue
        error = send_reminder(c, r)
        if error:
            reminders.record_error(ctx.engine, claim_id, error)
        sent.reminders += error is None
        sent.failed += error is not None
    if sent.reminders or sent.handovers or sent.failed:
        log.info("notifications: %d reminders, %d handover messages sent, %d failed, %d sent elsewhere",
                 sent.reminders, sent.handovers, sent.failed, sent.skipped)
    return sent


def safe_round(ctx: Context, client_for: ClientFor) -> None:
    try:
        notify_round(ctx, client_for)
    except Exception:  # the next round tries again
        log.exception("notification round failed")


def add_notify_job(scheduler, ctx: Context, client_for: ClientFor, seconds: int = INTERVAL_SECONDS) -> None:
    """Run `notify_round` every `seconds` on the sync scheduler (APScheduler)."""
    scheduler.add_job(safe_round, "interval", args=(ctx, client_for), seconds=seconds, id=JOB_ID,
                      max_instances=1, coalesce=True, misfire_grace_time=30, replace_existing=True)
