"""How a sync round hands out its schedules: per connection, so every account's bucket stays busy.

A provider's rate limit is per API key, so a round is bounded by the slowest key's work divided
by its rate, not by how many threads there are. Each account (provider + key digest, the
bucket's key) is a *lane*; a schedule belongs to the lanes of its destinations. `Lanes.take`
hands out the next schedule so that

- no lane has more than its width of schedules in flight (`lane_width`: the requests a bucket
  can serve while one of them is on the wire, with room for the database work in between, so
  more threads would only wait in the bucket), and
- the lane with the most work left per unit of its rate (the one that bounds the round) is fed
  first, so it never waits while a faster lane is served.

Schedules without destinations share the lane `LOCAL` (database work only).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

LOCAL = ""
LANE_SECONDS = 0.4  # a destination's request and its share of planning and database work
MAX_WIDTH = 6
LOCAL_WIDTH = 2
MAX_WORKERS = 12  # each worker may hold two database connections (its schedule's lock, a session)


@dataclass(frozen=True)
class Job:
    schedule_id: int
    team_id: str
    lanes: frozenset[str]


def lane_width(per_second: float) -> int:
    """Schedules in flight that keep a bucket of `per_second` busy (1 … `MAX_WIDTH`)."""
    return max(1, min(MAX_WIDTH, math.ceil(per_second * LANE_SECONDS)))


def workers_for(widths: dict[str, int], cap: int = MAX_WORKERS) -> int:
    return max(1, min(cap, sum(widths.values())))


class Lanes:
    """A round's schedules, handed out per lane (see the module docstring). Thread-safe."""

    def __init__(self, jobs: Iterable[Job], widths: dict[str, int], rates: dict[str, float]):
        self._jobs = [j if j.lanes else Job(j.schedule_id, j.team_id, frozenset({LOCAL})) for j in jobs]
        self._width = {LOCAL: LOCAL_WIDTH, **widths}
        self._rate = {LOCAL: 1e9, **rates}
        self._queue: dict[str, deque[Job]] = {}
        self._left: dict[str, int] = {}
        for j in self._jobs:
            for lane in j.lanes:
                self._queue.setdefault(lane, deque()).append(j)
                self._left[lane] = self._left.get(lane, 0) + 1
                self._width.setdefault(lane, 1)
                self._rate.setdefault(lane, 1.0)
        self._busy = dict.fromkeys(self._queue, 0)
        self._started: set[int] = set()
        self._pending = len(self._jobs)
        self._cond = threading.Condition()

    def _free(self, job: Job) -> bool:
        return all(self._busy[lane] < self._width[lane] for lane in job.lanes)

    def _pick(self) -> Job | None:
        for lane in sorted(self._queue, key=lambda k: -self._left[k] / self._rate[k]):
            if self._busy[lane] >= self._width[lane]:
                continue
            queue = self._queue[lane]
            while queue and queue[0].schedule_id in self._started:
                queue.popleft()
            for job in queue:
                if job.schedule_id not in self._started and self._free(job):
                    queue.remove(job)
                    return job
        return None

    def take(self) -> Job | None:
        """The next schedule to sync (waits while every lane with work is full); None when done."""
        with self._cond:
            while True:
                if self._pending == 0:
                    return None
                job = self._pick()
                if job is not None:
                    self._started.add(job.schedule_id)
                    self._pending -= 1
                    for lane in job.lanes:
                        self._busy[lane] += 1
                    return job
                self._cond.wait()

    def done(self, job: Job) -> None:
        with self._cond:
            for lane in job.lanes:
                self._busy[lane] -= 1
                self._left[lane] -= 1
            self._cond.notify_all()
