"""The one bounded work pool: slow work handed off by Slack listeners after their ack.

Bolt's listener threads (`bot.app.LISTENER_THREADS`) only parse, authorise, ack and hand off;
anything that waits on a provider (listing schedules, exporting, linking, re-exports after a
swap or time off, the connect key check, calendar feed reads) and App Home re-publishes runs here,
so a slow provider can never hold a listener thread and delay other people's acks.

- `WORKERS` threads run jobs; at most `QUEUE` more wait. A hand-off beyond that is refused at
  once (`submit` returns False) and the caller tells the person the bot is busy.
- Every job has an overall deadline counted from the hand-off. A job still queued when it
  passes is not started (its `on_late` tells the person); a running job's provider requests are
  cut to it (`bot.providers.http.overall_deadline`: timeouts shortened, no retry past it, no
  new request after it), so a job holds its worker at most about that long.

`pool` is the process's pool; tests swap it (`tests/plugins/work.py` runs jobs inline unless a
test asks for the real one).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.providers.http import overall_deadline

log = logging.getLogger(__name__)

# Provider work is I/O-bound and paced per account by the token buckets, so more workers than
# this only queue on the buckets and the database's connection pool (SQLAlchemy: 5 + 10
# overflow on PostgreSQL, shared with the listener threads and the 3 sync threads).
WORKERS = 8
QUEUE = 64  # waiting jobs; at 8 workers and ~1 s per job, the last one starts within ~8 s
DEFAULT_SECONDS = 60.0  # the overall deadline of a job unless the caller names one


class WorkPool:
    """At most `workers` jobs at once and `queue` waiting; each with an overall deadline."""

    def __init__(self, workers: int = WORKERS, queue: int = QUEUE, name: str = "oncall-work"):
        self.workers = workers
        self.queue = queue
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._taken = 0  # queued + running
        self.peak = 0  # most jobs queued or running at once (for tests and the benchmark)

    @property
    def taken(self) -> int:
        with self._lock:
            return self._taken

    def submit(self, work: Callable[[], None], *, name: str, seconds: float = DEFAULT_SECONDS,
               on_late: Callable[[], None] | None = None) -> bool:
        """Run `work` on a worker within `seconds`; False (nothing queued) when the pool is full.
        `work` reports its own outcome; an exception escaping it is logged. `on_late` runs
        instead of `work` when the deadline passed before a worker was free."""
        with self._lock:
            if self._taken >= self.workers + self.queue:
                log.warning("work pool full (%d running or waiting): %s refused", self._taken, name)
                return False
            self._taken += 1
            self.peak = max(self.peak, self._taken)
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self._name)
            executor = self._executor
        deadline = time.monotonic() + seconds

        def job() -> None:
            try:
                if time.monotonic() >= deadline:
                    log.warning("%s did not start within %g s (the work pool was busy)", name, seconds)
                    if on_late is not None:
                        on_late()
                    return
                with overall_deadline(deadline):
                    work()
            except Exception:
                log.exception("background job %s failed", name)
            finally:
                with self._lock:
                    self._taken -= 1

        try:
            executor.submit(job)
        except BaseException:  # shut down meanwhile
            with self._lock:
                self._taken -= 1
            raise
        return True

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=not wait)


class InlineWork(WorkPool):
    """Runs each job at once in the caller's thread (tests that check outcomes, not concurrency)."""

    def submit(self, work: Callable[[], None], *, name: str, seconds: float = DEFAULT_SECONDS,
               on_late: Callable[[], None] | None = None) -> bool:
        try:
            with overall_deadline(time.monotonic() + seconds):
                work()
        except Exception:
            log.exception("background job %s failed", name)
        return True


pool: WorkPool = WorkPool()


def submit(work: Callable[[], None], *, name: str, seconds: float = DEFAULT_SECONDS,
           on_late: Callable[[], None] | None = None) -> bool:
    """Hand `work` to the process's pool (see `WorkPool.submit`)."""
    return pool.submit(work, name=name, seconds=seconds, on_late=on_late)
