"""Flood: 200 `/oncall schedules` from one plain member over signed HTTP, through the real app
under the real waitress server, against a slow PagerDuty double that enforces the per-key limit.

The per-person limit refuses most of them (in the ack, before any work), PagerDuty never
answers 429, `/oncall help` from another member is answered within Slack's 3 s meanwhile, and
the scheduled sync right after is "ok" and keeps within the per-key limit too."""

from __future__ import annotations

import bisect
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from slack_sdk import WebClient

from bot.sync.ratelimit import Pacing
from tests.plugins.world import Clock, add_world
from tests.providers.fixtures import pd_error
from tests.slack.loopback import loopback, post
from tests.slack.payloads import form, sign, slash_command
from tests.sync_io.fakes import T0, FakePagerDuty

FLOOD = 200
PER_MINUTE = 960  # PagerDuty's limit per API key
BURST = 60  # how the double spends it: evenly, with at most this many at once


class PerKeyLimit:
    """PagerDuty's 960 requests a minute per key, as a bucket refilled evenly (16/s, burst 60);
    records when every request arrived and how many it refused with 429."""

    def __init__(self) -> None:
        self.tokens = float(BURST)
        self.at = time.monotonic()
        self.stamps: list[float] = []
        self.refused = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response | None:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(BURST, self.tokens + (now - self.at) * PER_MINUTE / 60)
            self.at = now
            self.stamps.append(now)
            if self.tokens < 1:
                self.refused += 1
                return httpx.Response(429, headers={"ratelimit-reset": "1"}, json=pd_error(2020, "Rate Limit Exceeded"))
            self.tokens -= 1
        return None

    def worst_minute(self) -> int:
        stamps = sorted(self.stamps)
        return max((bisect.bisect_left(stamps, t + 60) - i for i, t in enumerate(stamps)), default=0)


def test_one_member_cannot_spend_the_key_or_starve_others(slack, conformant_respx):
    from bot.app import create_app
    from bot.jobs import sync_all

    started = time.monotonic()
    clock = Clock(T0 + timedelta(days=2, hours=3))
    slack.ctx.clock = clock
    slack.ctx.pacing = Pacing()  # real time: pacing really waits
    for uid, name in (("U1", "alice"), ("U2", "bob"), ("U3", "carol")):
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com")
    fake = FakePagerDuty(conformant_respx, clock, delay=0.1)  # a slow provider holds listener threads
    limit = fake.fail = PerKeyLimit()
    world = add_world(slack.ctx, weeks=4)

    def command(text: str, user: str, rid: str) -> bytes:
        body = form(slash_command(text, user_id=user, response_url=slack.stub.response_url(rid)))
        status, answer = post(port, body.encode(), sign(body))
        assert status == 200
        return answer

    def answered(rid: str) -> bool:
        return any(c.body.get("_id") == rid for c in slack.stub.calls("response_url"))

    with loopback(slack.ctx, create_app(slack.ctx)) as port, ThreadPoolExecutor(8) as pool:
        flood = [pool.submit(command, "schedules", "U3", f"flood-{i}") for i in range(FLOOD)]
        time.sleep(0.2)  # mid-flood
        asked = time.monotonic()
        command("help", "U2", "help")
        while not answered("help") and time.monotonic() - asked < 5:
            time.sleep(0.02)
        help_seconds = time.monotonic() - asked
        answers = [f.result(timeout=30) for f in flood]

    refused = sum(1 for a in answers if b"You've run" in a)
    assert help_seconds < 3, f"/oncall help took {help_seconds:.1f} s during the flood"
    assert refused >= FLOOD - slack.ctx.settings.commands_per_minute
    assert limit.refused == 0, f"PagerDuty answered 429 {limit.refused} times"
    listed = len(fake.requests("GET", "/schedules"))
    assert listed <= slack.ctx.settings.commands_per_minute  # one listing per command let through

    # the scheduled sync right after
    reports = sync_all(slack.ctx, WebClient(token="xoxb-test-token", base_url=slack.stub.api_url))
    (dest,) = reports[0].destinations
    assert dest.status == "ok" and dest.created > 0, dest
    assert limit.refused == 0 and limit.worst_minute() <= PER_MINUTE
    assert slack.ctx.pacing.bucket("pagerduty", fake_key(slack, world.connection_id)).taken == len(fake.log)
    assert time.monotonic() - started < 30


def fake_key(slack, connection_id: int) -> str:
    from bot.store import Connection, session_scope

    with session_scope(slack.ctx.engine) as session:
        return slack.ctx.keys.decrypt(session.get(Connection, connection_id).api_key_encrypted)
