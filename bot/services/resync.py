"""Re-export changed shifts at once, on the work pool, after the person got their answer.

The periodic sync job would re-export them anyway (their version changed); this only makes it
happen now. `launch` is the seam tests replace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from slack_sdk import WebClient

from bot.context import Context
from bot.services import background

log = logging.getLogger(__name__)


def sync_now(ctx: Context, client: WebClient | None, shift_ids: Mapping[int, Sequence[int]]) -> None:
    """Export these shifts of these schedules (schedule id -> shift ids) now; errors are logged."""
    try:
        from bot.sync.engine import sync_schedule
    except ImportError:  # the sync engine is not there: the scheduled job re-exports them
        return
    from bot.services.oncall_group import refresh_quietly

    for schedule_id, ids in shift_ids.items():
        refresh_quietly(ctx, client, schedule_id)  # a replacement may change who is on call now
        try:
            sync_schedule(ctx, schedule_id, client=client, only_shift_ids=list(ids), wait=30)
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
