"""The work pool: bounded (a full pool refuses at once), and every job has an overall deadline
(a job that could not start in time is told so; provider requests stop at the deadline)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from bot.providers.base import Unavailable
from bot.providers.http import ApiClient, overall_deadline, time_left
from bot.services.background import WorkPool


@pytest.fixture
def pool():
    p = WorkPool(workers=1, queue=1)
    yield p
    p.shutdown(wait=True)


def test_a_full_pool_refuses_at_once_and_frees_up_again(pool):
    release = threading.Event()
    ran: list[str] = []
    assert pool.submit(lambda: release.wait(5), name="running")
    assert pool.submit(lambda: ran.append("queued"), name="queued")
    refused_at = time.monotonic()
    assert not pool.submit(lambda: ran.append("refused"), name="one too many")
    assert time.monotonic() - refused_at < 0.5
    release.set()
    deadline = time.monotonic() + 5
    while pool.taken and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ran == ["queued"] and pool.taken == 0 and pool.peak == 2
    assert pool.submit(lambda: ran.append("later"), name="later")


def test_a_job_that_cannot_start_before_its_deadline_is_not_run_and_says_so(pool):
    release = threading.Event()
    ran: list[str] = []
    late = threading.Event()
    pool.submit(lambda: release.wait(5), name="hog")
    pool.submit(lambda: ran.append("late job"), name="late job", seconds=0.05, on_late=late.set)
    time.sleep(0.1)
    release.set()
    assert late.wait(5)
    assert ran == []


def test_errors_in_a_job_are_logged_and_free_the_worker(pool, caplog):
    def boom() -> None:
        raise RuntimeError("boom")

    done = threading.Event()
    pool.submit(boom, name="boom")
    pool.submit(done.set, name="next")
    assert done.wait(5)
    assert "background job boom failed" in caplog.text


def test_a_job_carries_its_deadline_to_provider_requests(pool):
    seen: list[float | None] = []
    done = threading.Event()
    pool.submit(lambda: (seen.append(time_left()), done.set()), name="deadline", seconds=30)
    assert done.wait(5)
    assert seen[0] is not None and 25 < seen[0] <= 30
    assert time_left() is None  # nothing outside a job


def _api(handler) -> ApiClient:
    return ApiClient(label="PagerDuty", base_url="https://api.pagerduty.com",
                     client=httpx.Client(transport=httpx.MockTransport(handler)),
                     auth_header=lambda: "Token token=x", headers={}, timeout=10.0, sleep=lambda _s: None)


def test_provider_requests_stop_at_the_overall_deadline():
    timeouts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        return httpx.Response(503)

    api = _api(handler)
    # less than the first retry's wait (0.25-0.5 s)
    with overall_deadline(time.monotonic() + 0.2), pytest.raises(Unavailable, match="no time is left to retry"):
        api.request("GET", "/schedules", what="the schedule list")
    assert len(timeouts) == 1 and timeouts[0] <= 0.2  # cut to what is left
    timeouts.clear()
    with overall_deadline(time.monotonic() - 1), pytest.raises(Unavailable, match="overall deadline passed"):
        api.request("GET", "/schedules", what="the schedule list")
    assert timeouts == []  # nothing was sent
