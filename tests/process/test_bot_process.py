"""The bot as one real process (`python -m bot run`, HTTP mode) against the strict Slack stub and a
PagerDuty double over real HTTP: what a new workspace does first, end to end, with no in-process seam.

help → connect (modal, key checked at the provider) → link (modal opens, fills, submits) → sync
(overrides created at the provider) — every provider request checked against the official spec,
no key in Slack or in the bot's log.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from bot.ids import ButtonId, CallbackId, FormBlock
from tests.process.bot_process import BotProcess
from tests.process.servers import RouterServer
from tests.providers.fixtures import pd_error
from tests.slack.payloads import block_actions, conversation, multi, number, view_submission
from tests.slack.payloads import select as sel
from tests.slack.stub import SlackStub
from tests.sync_io.fakes import PD, FakePagerDuty
from tests.test_journey import connect_values

KEY = "u+pdPROCESS/secret-0123456789abcd"


def eventually(check: Callable[[], object], what: str, timeout: float = 20.0, log: Callable[[], str] = str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n--- bot log ---\n{log()}")


def elements(value) -> Iterator[dict]:
    """Every dict inside a Block Kit payload, depth first."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from elements(v)
    elif isinstance(value, list):
        for v in value:
            yield from elements(v)


@pytest.fixture
def world(tmp_path):
    stub = SlackStub().start()
    for uid, name, admin in (("U1", "alice", True), ("U2", "bob", False), ("U3", "carol", False)):
        stub.add_user(uid, name=name, email=f"{name}@example.com", is_admin=admin)["tz"] = "Europe/Berlin"
    stub.add_channel("C1")
    pd = RouterServer(PD, authorization=f"Token token={KEY}", unauthorized=pd_error(2006, "Invalid Credentials"))
    pd.start()
    fake = FakePagerDuty(pd.router, lambda: datetime.now(UTC),
                         users={"PU1": ("Alice", "alice@example.com"), "PU2": ("Bob", "bob@example.com"),
                                "PU3": ("Carol", "carol@example.com")})
    with BotProcess(tmp_path, slack_api_url=stub.api_url, PAGERDUTY_API_URL=pd.url) as bot:
        yield stub, pd, fake, bot
    stub.stop()
    pd.stop()
    assert not pd.problems, "requests the real PagerDuty would refuse:\n" + "\n".join(pd.problems)
    assert KEY not in bot.log() and KEY not in stub.all_text()


def test_help_connect_link_sync_in_one_real_process(world):
    stub, pd, fake, bot = world

    # help: answered inside Slack's 3 s window, by the HTTP answer or the response_url
    started = time.monotonic()
    resp = bot.command("help", response_url=stub.response_url("help"))
    assert resp.status_code == 200, resp.text
    assert "/oncall" in resp.text or eventually(lambda: stub.bodies("response_url"), "the help reply", log=bot.log)
    assert time.monotonic() - started < 3

    # connect: the modal opens, the key is checked at the provider, the schedules are listed
    assert bot.command("connect", response_url=stub.response_url("connect"), trigger_id="t-connect").status_code == 200
    (opened,) = stub.wait_for("views.open", timeout=10)
    modal = opened.body["view"]
    assert modal["callback_id"] == CallbackId.CONNECT
    resp = bot.interact(view_submission(CallbackId.CONNECT, connect_values("pagerduty", "Acme PD", KEY),
                                        private_metadata=modal["private_metadata"], view_id="V0001"))
    assert resp.status_code == 200, resp.text
    link_value = eventually(
        lambda: next((e["value"] for c in stub.calls() for e in elements(c.body)
                      if e.get("action_id") == ButtonId.LINK and e.get("value")), None),
        "a Link button for the connected account's schedule", log=bot.log)
    assert link_value.endswith(":PSCHED1")
    assert any(p.startswith("/schedules") for p in pd.paths("GET"))

    # link: the modal opens (Slack refuses an invalid one), fills with the schedule, submits
    stub.reset()
    bot.interact(block_actions(ButtonId.LINK, link_value, user_id="U1", response_url=stub.response_url("link"),
                               trigger_id="t-link"))
    stub.wait_for("views.open", timeout=10)
    (filled,) = stub.wait_for("views.update", timeout=15)
    view = filled.body["view"]
    values = {
        FormBlock.LINK_CONNECTION: {ButtonId.LINK_PICK_CONNECTION: sel(link_value.split(":")[0])},
        FormBlock.LINK_SCHEDULE: {FormBlock.INPUT: sel("PSCHED1")},
        FormBlock.LINK_HORIZON: {FormBlock.INPUT: number(14)},
        FormBlock.LINK_CHANNEL: {FormBlock.INPUT: conversation("C1")},
        FormBlock.LINK_DESTINATIONS: {FormBlock.INPUT: multi([])},
    }
    resp = bot.interact(view_submission(CallbackId.LINK, values, private_metadata=view["private_metadata"]))
    assert resp.status_code == 200, resp.text
    eventually(lambda: "Assigned" in stub.all_text(), "the link reply", log=bot.log)
    assert "3 members mapped" in stub.all_text()

    # sync: one override per shift created at PagerDuty, over real HTTP
    stub.reset()
    assert bot.command("sync", user_id="U1", response_url=stub.response_url("sync")).status_code == 200
    report = json.dumps(eventually(lambda: [b for b in stub.bodies("response_url") if "Syncing" not in b["text"]],
                                   "the sync report", log=bot.log))
    assert "error id" not in report, report
    created = [p for p in pd.paths("POST") if p.endswith("/overrides")]
    assert created, f"no override was created at the provider:\n{report}"
    assert [o for o in fake.live() if o.end > datetime.now(UTC)], "no override lives at the provider"
