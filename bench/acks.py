"""Ack latency under a burst, against the real HTTP endpoint (issue 16).

    .venv/bin/python -m bench.acks        # ~1 minute on 2 cores

Requests are signed like Slack's; the Slack Web API and response URLs are the local stub
(`tests/slack/stub.py`); PagerDuty is the stateful fake (`tests/sync_io/fakes.py`) answering
every request after `LATENCY` seconds. Two bursts, each sent at once from as many client threads:

- 100 `/oncall` commands from 100 people: help, who, status, schedules and a typo in turn;
- 20 drift *Re-apply* clicks (each re-exports through the provider).

1. **The real process** (`tests/process/bot_process.py`: `python -m bot run`, waitress on a
   loopback port), measured from the outside; the provider double is served over HTTP.
2. **In one process, old vs new** (`tests/slack/loopback.py`: the same server and app in this
   process, which also runs the clients, the stub and the fake, so every figure is higher): with
   the work pool, and with slow work done inline on bolt's listener threads as before issue 16
   (bolt's default 5 of them), so the ratio is measured in one run.

Printed: the ack's p50/p99 (the HTTP answer Slack needs within 3 s) and the p50/p99 of the
answer itself (the response_url message, polled every 10 ms).
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import respx
from cryptography.fernet import Fernet
from slack_sdk import WebClient
from sqlmodel import select

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.ids import SyncButtonId
from bot.notify.sync import sync_and_notify
from bot.services import background
from bot.store import DriftAlert, session_scope
from bot.store.db import make_engine, upgrade
from tests.plugins.world import PD_KEY, Clock, add_world, install_fake_assignments, shifts
from tests.slack.loopback import loopback, post
from tests.slack.payloads import SIGNING_SECRET, block_actions, form, interactive, sign, slash_command
from tests.slack.stub import SlackStub
from tests.sync_io.fakes import PD, T0, FakePagerDuty

LATENCY = 0.05  # seconds per provider request (the issue measured with 50 ms)
COMMANDS = 100
CLICKS = 20
MIX = ("help", "who", "status", "schedules", "statsu")  # the last one is a typo


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


class Rig:
    """One bot on loopback: database, Slack stub, a PagerDuty fake with latency, a drift alert."""

    def __init__(self, tmp: str, mp: pytest.MonkeyPatch, name: str):
        self.stub = SlackStub().start()
        settings = Settings(slack_bot_token="xoxb-bench", slack_signing_secret=SIGNING_SECRET,
                            slack_api_url=self.stub.api_url, secret_key=Fernet.generate_key().decode())
        self.engine = make_engine(f"sqlite:///{os.path.join(tmp, name + '.db')}")
        upgrade(self.engine)
        self.clock = Clock(T0 + timedelta(days=2, hours=3))
        self.ctx = Context(settings=settings, engine=self.engine, keys=KeyBox(settings.secret_key),
                           clock=self.clock, sleep=time.sleep)
        self.router = respx.mock(assert_all_called=False)
        self.router.start()
        install_fake_assignments(mp)
        self.fake = FakePagerDuty(self.router, self.clock)
        world = add_world(self.ctx, weeks=4)
        add_users(self.stub)
        self.alert_id = make_drift(self.ctx, self.fake, world.schedule_id,
                                   WebClient(token="xoxb-bench", base_url=self.stub.api_url))
        self.fake.delay = LATENCY

    def close(self) -> None:
        self.router.stop()
        self.ctx.close()
        self.stub.stop()
        self.engine.dispose()


def burst(stub: SlackStub, port: int, bodies: list[tuple[str, str]]) -> tuple[list[float], list[float]]:
    """Send every (response id, form body) at once; ack and answer latencies in seconds."""
    sent: dict[str, float] = {}

    def one(rid: str, body: str) -> float:
        sent[rid] = time.monotonic()
        status, _ = post(port, body.encode(), sign(body), timeout=60)
        assert status == 200, status
        return time.monotonic() - sent[rid]

    with ThreadPoolExecutor(len(bodies)) as senders:
        acks = list(senders.map(lambda rb: one(*rb), bodies))
    wanted = {rid for rid, _ in bodies}
    deadline = time.monotonic() + 120
    answered: dict[str, float] = {}
    while len(answered) < len(wanted) and time.monotonic() < deadline:
        for call in stub.calls("response_url"):
            rid = call.body.get("_id")
            if rid in wanted and rid not in answered:
                answered[rid] = time.monotonic() - sent[rid]  # polled: an upper bound, within 10 ms
        time.sleep(0.01)
    return acks, list(answered.values())


def commands(stub: SlackStub, tag: str) -> list[tuple[str, str]]:
    out = []
    for i in range(COMMANDS):
        rid = f"{tag}-cmd-{i}"
        out.append((rid, form(slash_command(MIX[i % len(MIX)], user_id=f"U{100 + i}",
                                            response_url=stub.response_url(rid)))))
    return out


def clicks(stub: SlackStub, alert_id: int, tag: str) -> list[tuple[str, str]]:
    return [(f"{tag}-click-{i}", interactive(block_actions(
        SyncButtonId.DRIFT_REAPPLY, str(alert_id), user_id="U1",
        response_url=stub.response_url(f"{tag}-click-{i}")))) for i in range(CLICKS)]


def bursts(stub: SlackStub, port: int, alert_id: int, tag: str) -> list[tuple[str, list[float], list[float]]]:
    rows = []
    for label, bodies in ((f"{COMMANDS} commands", commands(stub, tag + "c")),
                          (f"{CLICKS} Re-apply clicks", clicks(stub, alert_id, tag + "r"))):
        acks, answers = burst(stub, port, bodies)
        rows.append((label, acks, answers))
    return rows


def add_users(stub: SlackStub) -> None:
    stub.add_user("U1", name="alice", email="alice@example.com")
    for i in range(COMMANDS):
        stub.add_user(f"U{100 + i}", name=f"p{i}", email=f"p{i}@example.com")


def make_drift(ctx: Context, fake: FakePagerDuty, schedule_id: int, client: WebClient) -> int:
    """Export, hand-edit a shift at the provider, sync again: one open drift alert."""
    sync_and_notify(ctx, schedule_id, client=client)
    s = shifts(ctx, schedule_id)[1]
    fake.hand_override("PU3", s.start, s.end)
    sync_and_notify(ctx, schedule_id, client=client)
    with session_scope(ctx.engine) as session:
        return session.exec(select(DriftAlert)).one().id


def run_process(tmp: str) -> list[tuple[str, list[float], list[float]]]:
    """The bot as its own process (`python -m bot run`), measured from here."""
    from tests.process.bot_process import BotProcess
    from tests.process.servers import RouterServer

    stub = SlackStub().start()
    add_users(stub)
    pd = RouterServer(PD, authorization=f"Token token={PD_KEY}").start()
    fake = FakePagerDuty(pd.router, lambda: datetime.now(UTC))
    try:
        with BotProcess(Path(tmp), slack_api_url=stub.api_url, PAGERDUTY_API_URL=pd.url,
                        LOG_LEVEL="WARNING") as bot, pytest.MonkeyPatch.context() as mp:
            install_fake_assignments(mp)
            settings = Settings(secret_key=bot.env["ONCALL_SECRET_KEY"], provider_api_urls={"pagerduty": pd.url})
            engine = make_engine(f"sqlite:///{bot.db_path}")
            ctx = Context(settings=settings, engine=engine, keys=KeyBox(settings.secret_key))
            now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            world = add_world(ctx, weeks=4, shifts_from=now - timedelta(days=2))
            alert_id = make_drift(ctx, fake, world.schedule_id, WebClient(token="xoxb-bench", base_url=stub.api_url))
            ctx.close()
            engine.dispose()
            fake.delay = LATENCY
            return bursts(stub, bot.port, alert_id, "p")
    finally:
        pd.stop()
        stub.stop()


def run(mode: str, tmp: str) -> list[tuple[str, list[float], list[float]]]:
    from bot.app import create_app

    with pytest.MonkeyPatch.context() as mp:
        rig = Rig(tmp, mp, "new" if mode.endswith("work pool") else "old")
        try:
            if mode.endswith("work pool"):
                pool = background.WorkPool()
                mp.setattr(background, "pool", pool)
                app = create_app(rig.ctx)
            else:  # before issue 16: slow work on bolt's (default 5) listener threads
                pool = background.InlineWork()
                mp.setattr(background, "pool", pool)
                from concurrent.futures import ThreadPoolExecutor as Pool

                app = create_app(rig.ctx, listener_executor=Pool(max_workers=5))
            with loopback(rig.ctx, app) as port:
                rows = bursts(rig.stub, port, rig.alert_id, "i")
            pool.shutdown(wait=True)
        finally:
            rig.close()
    return rows


def row(label: str, mode: str, acks: list[float], answers: list[float]) -> str:
    nan = float("nan")
    return (f"{label:<22} {mode:<22} {pct(acks, 50) * 1000:>6.0f}ms {pct(acks, 99) * 1000:>6.0f}ms "
            f"{statistics.median(answers) * 1000 if answers else nan:>9.0f}ms "
            f"{pct(answers, 99) * 1000 if answers else nan:>9.0f}ms {len(answers):>5}/{len(acks)}")


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # waitress warns of its queue depth on every burst
    logging.getLogger("waitress").setLevel(logging.ERROR)
    print(f"Ack latency, signed requests to /slack/events; provider latency {LATENCY * 1000:.0f} ms; "
          f"{os.cpu_count()} cores; work pool {background.WORKERS} workers + {background.QUEUE} waiting")
    print()
    head = (f"{'burst':<22} {'bot':<22} {'ack p50':>8} {'ack p99':>8} {'answer p50':>11} {'answer p99':>11} "
            f"{'answered':>9}")
    print(head)
    print("-" * len(head))
    results: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, acks, answers in run_process(tmp):
            results[(label, "process")] = pct(acks, 99)
            print(row(label, "own process", acks, answers))
        for mode in ("in-process, work pool", "in-process, old"):
            for label, acks, answers in run(mode, tmp):
                results[(label, mode)] = pct(acks, 99)
                print(row(label, mode, acks, answers))
    print()
    for label in (f"{COMMANDS} commands", f"{CLICKS} Re-apply clicks"):
        new = results[(label, "process")]
        ratio = results[(label, "in-process, old")] / results[(label, "in-process, work pool")]
        print(f"{label}: ack p99 {new * 1000:.0f} ms (target < 300 ms: {'met' if new < 0.3 else 'MISSED'}); "
              f"in one process the work pool cuts ack p99 {ratio:.1f}x against work on the listener threads")


if __name__ == "__main__":
    main()
