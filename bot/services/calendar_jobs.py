"""Feed checks off the listener threads: a small pool, and at most one check per person at a time.

`/oncall calendar <url>` acks, claims the person (`claim`), answers "Checking…", and hands the
fetch to `launch`; the check always ends, since every fetch has an overall deadline
(`bot.services.calendar_fetch.FetchLimits`). Further commands for the same person while one runs
are refused at once, so one member cannot queue up work for everyone. `launch` is the seam
tests replace (as `bot.services.resync.launch`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

WORKERS = 4
_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="oncall-calendar")
_busy: set[tuple[str, str]] = set()
_lock = threading.Lock()


def _submit(work: Callable[[], None]) -> None:
    _pool.submit(work)


launch: Callable[[Callable[[], None]], None] = _submit


def claim(team_id: str, user_id: str) -> bool:
    """Mark a check of this person's feed as running; False when one already is."""
    with _lock:
        if (team_id, user_id) in _busy:
            return False
        _busy.add((team_id, user_id))
        return True


def release(team_id: str, user_id: str) -> None:
    with _lock:
        _busy.discard((team_id, user_id))


def run_claimed(team_id: str, user_id: str, work: Callable[[], None], on_error: Callable[[str], None]) -> None:
    """Run `work` in the background for a claimed person; the claim ends with it, whatever happens.
    An unexpected error is logged with a short id, and `on_error(error_id)` tells the person."""

    def job() -> None:
        try:
            work()
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("calendar feed check of %s failed (error id %s)", user_id, error_id)
            with contextlib.suppress(Exception):
                on_error(error_id)
        finally:
            release(team_id, user_id)

    try:
        launch(job)
    except BaseException:
        release(team_id, user_id)
        raise
