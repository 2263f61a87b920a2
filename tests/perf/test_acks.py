"""Issue 16: acks never wait. Slow provider work runs on the work pool, so bolt's listener
threads are free: while 20 `/oncall schedules` and 5 drift *Re-apply* clicks wait on a provider
that answers in 0.5 s, `/oncall help` is acked (and answered) before any of them is answered.

Real waitress on loopback, bolt's own listener threads, signed requests, the real work pool."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import SyncButtonId
from bot.notify.sync import sync_and_notify
from bot.services import background
from bot.store import DriftAlert, session_scope
from tests.plugins.world import Clock, add_world, install_fake_assignments, shifts
from tests.slack.loopback import loopback, post
from tests.slack.payloads import block_actions, form, interactive, sign, slash_command
from tests.sync_io.fakes import T0, FakePagerDuty

SLOW = 0.5  # seconds per provider request
COMMANDS = 20
CLICKS = 5


def drift_alert(slack, fake, world) -> int:
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    s = shifts(slack.ctx, world.schedule_id)[1]
    fake.hand_override("PU3", s.start, s.end)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    with session_scope(slack.ctx.engine) as session:
        return session.exec(select(DriftAlert)).one().id


class InFlight:
    """Counts provider requests in progress (the fake sleeps `SLOW` in each)."""

    def __init__(self) -> None:
        self.now = self.peak = self.seen = 0
        self._lock = threading.Lock()

    def __call__(self, _request):
        with self._lock:
            self.now += 1
            self.seen += 1
            self.peak = max(self.peak, self.now)
        time.sleep(SLOW)
        with self._lock:
            self.now -= 1
        return None


def test_help_is_acked_while_slow_commands_and_buttons_wait_on_the_provider(slack, conformant_respx, work_pool,
                                                                           monkeypatch):
    from bot.app import create_app

    started = time.monotonic()
    install_fake_assignments(monkeypatch)
    clock = Clock(T0 + timedelta(days=2, hours=3))
    slack.ctx.clock = clock
    slack.stub.add_channel("C1")  # the schedule's channel: drift alerts are posted there
    slack.stub.add_user("U1", name="alice", email="alice@example.com")
    slack.stub.add_user("UHELP", name="helen", email="helen@example.com")
    for i in range(COMMANDS):
        slack.stub.add_user(f"U{100 + i}", name=f"p{i}", email=f"p{i}@example.com")
    fake = FakePagerDuty(conformant_respx, clock)
    world = add_world(slack.ctx, weeks=4)
    alert_id = drift_alert(slack, fake, world)
    flight = fake.fail = InFlight()  # from now on every provider request takes SLOW seconds

    def replies(prefix: str) -> list:
        return [c for c in slack.stub.calls("response_url") if str(c.body.get("_id", "")).startswith(prefix)]

    def command(text: str, user: str, rid: str) -> int:
        body = form(slash_command(text, user_id=user, response_url=slack.stub.response_url(rid)))
        return post(port, body.encode(), sign(body))[0]

    def click(i: int) -> int:
        body = interactive(block_actions(SyncButtonId.DRIFT_REAPPLY, str(alert_id), user_id="U1",
                                         response_url=slack.stub.response_url(f"slow-click-{i}")))
        return post(port, body.encode(), sign(body))[0]

    with loopback(slack.ctx, create_app(slack.ctx)) as port, ThreadPoolExecutor(COMMANDS + CLICKS) as senders:
        slow = [senders.submit(command, "schedules", f"U{100 + i}", f"slow-cmd-{i}") for i in range(COMMANDS)]
        slow += [senders.submit(click, i) for i in range(CLICKS)]
        while flight.seen == 0 and time.monotonic() - started < 10:  # the slow work has begun
            time.sleep(0.005)
        assert flight.seen > 0
        assert command("help", "UHELP", "help") == 200
        answered_before_help = len(replies("slow-"))
        slack.stub.wait_for("response_url", 1, timeout=5)
        help_reply_at = next(i for i, c in enumerate(slack.stub.calls("response_url")) if c.body.get("_id") == "help")
        assert [f.result(timeout=20) for f in slow] == [200] * (COMMANDS + CLICKS)
        deadline = time.monotonic() + 20
        while len(replies("slow-")) < COMMANDS + CLICKS and time.monotonic() < deadline:
            time.sleep(0.02)

    # help was acked, and answered, before any of the slow ones was answered
    assert answered_before_help == 0
    assert all(not str(c.body.get("_id", "")).startswith("slow-")
               for c in slack.stub.calls("response_url")[:help_reply_at])
    # every slow one was answered: the schedule list, or the re-apply's outcome
    assert len(replies("slow-cmd-")) == COMMANDS
    assert all("Platform primary" in str(c.body) for c in replies("slow-cmd-"))
    assert len(replies("slow-click-")) == CLICKS
    # on the bounded pool: in parallel, never more at once than its workers
    assert 2 <= flight.peak <= background.WORKERS
    assert work_pool.peak <= background.WORKERS + background.QUEUE
    assert time.monotonic() - started < 40


def test_a_full_pool_is_said_in_words_and_nothing_is_done(slack, slack_http, conformant_respx, monkeypatch):
    fake = FakePagerDuty(conformant_respx, Clock(T0))
    add_world(slack.ctx, weeks=1)
    hogged = background.WorkPool(workers=1, queue=0)
    release = threading.Event()
    monkeypatch.setattr(background, "pool", hogged)
    try:
        assert hogged.submit(lambda: release.wait(5), name="hog")
        slack_http.command("schedules", response_url=slack.stub.response_url("cmd"), user_id="U1")
        (answer,) = slack.stub.bodies("response_url")
        assert "busy" in answer["text"] and "Try again in a minute" in answer["text"]
        assert fake.log == []  # nothing was asked of the provider
    finally:
        release.set()
        hogged.shutdown(wait=True)
