"""Sync runs that tell Slack: `sync_and_notify` (alerts through `slack_notify`, then App Home), and
`after_change`, which re-exports changed shifts at once on the work pool after the person got
their answer (the periodic sync would re-export them anyway: their version changed; this only
makes it happen now). `launch` is the seam tests replace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence

from slack_sdk import WebClient

from bot.context import Context
from bot.notify.home import refresh_homes
from bot.notify.slack import slack_notify
from bot.notify.usergroup import refresh_quietly
from bot.services import background
from bot.store import Schedule, session_scope
from bot.sync.engine import sync_schedule
from bot.sync.report import SyncReport

log = logging.getLogger(__name__)


def sync_and_notify(ctx: Context, schedule_id: int, *, client: WebClient | None = None,
                    only_shift_ids: Collection[int] | None = None, dry_run: bool = False, wait: float = 0.0,
                    refresh_home: bool = True) -> SyncReport:
    """`bot.sync.engine.sync_schedule` whose alerts go to Slack through `client`; App Home is
    re-published when something changed (unless `refresh_home` is False: a sync round re-publishes
    once per person at its end). Without a client nothing is sent to Slack."""
    report = sync_schedule(ctx, schedule_id, notify=slack_notify(client), only_shift_ids=only_shift_ids,
                           dry_run=dry_run, wait=wait)
    if client is not None and refresh_home and not dry_run and (report.changed or report.assigned):
        _refresh_homes(ctx, client, schedule_id)  # after the schedule's lock is released
    return report


def _refresh_homes(ctx: Context, client: WebClient, schedule_id: int) -> None:
    try:
        with session_scope(ctx.engine) as session:
            schedule = session.get(Schedule, schedule_id)
        if schedule is not None:
            refresh_homes(ctx, client, schedule.team_id)
    except Exception:
        log.exception("refreshing App Home after a sync failed")


def sync_now(ctx: Context, client: WebClient | None, shift_ids: Mapping[int, Sequence[int]]) -> None:
    """Export these shifts of these schedules (schedule id -> shift ids) now; errors are logged."""
    for schedule_id, ids in shift_ids.items():
        refresh_quietly(ctx, client, schedule_id)  # a replacement may change who is on call now
        try:
            sync_and_notify(ctx, schedule_id, client=client, only_shift_ids=list(ids), wait=30)
        except Exception:
            log.exception("immediate export of schedule %s failed; the sync job will retry", schedule_id)


REEXPORT_SECONDS = 90.0  # waits up to 30 s per schedule for a running sync, then exports


def _on_pool(target: Callable[[], None]) -> None:
    if not background.submit(target, name="immediate re-export", seconds=REEXPORT_SECONDS):
        log.warning("the work pool is full: the changed shifts are exported by the next sync instead")


launch: Callable[[Callable[[], None]], None] = _on_pool


def after_change(ctx: Context, client: WebClient | None, shift_ids: Mapping[int, Sequence[int]]) -> None:
    """Start `sync_now` on the work pool when something changed."""
    if shift_ids:
        ids = {k: list(v) for k, v in shift_ids.items()}
        launch(lambda: sync_now(ctx, client, ids))
