"""Feed checks off the listener threads: on the work pool, and at most one check per person at a time.

`/oncall calendar <url>` acks, claims the person (`claim`), answers "Checking…", and hands the
fetch to `launch`; the check always ends, since every fetch has an overall deadline
(`bot.services.calendar_fetch.FetchLimits`). Further commands for the same person while one runs
are refused at once, so one member cannot queue up work for everyone. Checks run on the one work
pool (`bot.services.background`); `launch` is the seam tests replace (as `bot.notify.sync.launch`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable

from bot.services import background
from bot.services.calendar_fetch import LIMITS

log = logging.getLogger(__name__)

CHECK_SECONDS = LIMITS.seconds + 20  # the fetch's own deadline, plus saving and answering
_busy: set[tuple[str, str]] = set()
_lock = threading.Lock()


def _submit(work: Callable[[], None]) -> bool:
    """On the work pool; `work.late` (set by `run_claimed`) runs instead when it could not start in time."""
    return background.submit(work, name="calendar feed check", seconds=CHECK_SECONDS,
                             on_late=getattr(work, "late", None))


launch: Callable[[Callable[[], None]], bool | None] = _submit


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


def run_claimed(team_id: str, user_id: str, work: Callable[[], None], on_error: Callable[[str], None],
                on_late: Callable[[], None] | None = None) -> bool:
    """Run `work` in the background for a claimed person; the claim ends with it, whatever happens.
    An unexpected error is logged with a short id, and `on_error(error_id)` tells the person;
    `on_late` when the pool was too busy to start it in time. False (and the claim released)
    when the work pool is full."""

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

    def late() -> None:
        try:
            if on_late is not None:
                on_late()
        finally:
            release(team_id, user_id)

    job.late = late  # type: ignore[attr-defined]
    try:
        launched = launch(job)
    except BaseException:
        release(team_id, user_id)
        raise
    if launched is False:
        release(team_id, user_id)
        return False
    return True
