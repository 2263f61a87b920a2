"""Issue 16: every listener that asks a provider hands that work off after its ack. With the
provider stuck until released, the dispatch of each of these still returns (listeners run inline
here, so a listener that did the provider work itself would not return until the release)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from bot.ids import ButtonId, SwapButtonId, SyncButtonId
from bot.sync.engine import sync_schedule
from tests.perf.test_acks import drift_alert
from tests.plugins.world import Clock, add_world, install_fake_assignments
from tests.slack.payloads import block_actions
from tests.swaps.helpers import query, submit
from tests.sync_io.fakes import T0, FakePagerDuty


class Gate:
    """Holds every provider request until `open()`."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()

    def __call__(self, _request):
        self.entered.set()
        self.released.wait(10)
        return None


@pytest.fixture
def env(slack, slack_http, conformant_respx, work_pool, monkeypatch):
    install_fake_assignments(monkeypatch)
    clock = Clock(T0 + timedelta(days=2, hours=3))
    slack.ctx.clock = clock
    slack.stub.add_channel("C1")  # the schedule's channel: drift alerts go there
    slack.stub.add_user("U1", name="alice", email="alice@example.com", is_admin=True)
    slack.stub.add_user("U2", name="bob", email="bob@example.com")
    fake = FakePagerDuty(conformant_respx, clock)
    world = add_world(slack.ctx, weeks=4)
    return slack, slack_http, fake, world


def _schedules(slack, http, world, alert):
    return http.command("schedules", response_url=slack.stub.response_url("r"), user_id="U1")


def _sync(slack, http, world, alert):
    return http.command("sync", response_url=slack.stub.response_url("r"), user_id="U1")


def _plan(slack, http, world, alert):
    return http.command("plan", response_url=slack.stub.response_url("r"), user_id="U1")


def _reapply(slack, http, world, alert):
    return http.interact(block_actions(SyncButtonId.DRIFT_REAPPLY, str(alert), user_id="U1",
                                       response_url=slack.stub.response_url("r")))


def _pick_connection(slack, http, world, alert):
    view = {"id": "V1", "type": "modal", "callback_id": "link", "private_metadata": "{}", "hash": "h1",
            "state": {"values": {}}}
    return http.interact(block_actions(ButtonId.LINK_PICK_CONNECTION, user_id="U1", view=view, channel_id=None,
                                       selected_option={"text": {"type": "plain_text", "text": "Acme PD"},
                                                        "value": str(world.connection_id)}))


def _accept(slack, http, world, request_id):
    return http.interact(block_actions(SwapButtonId.ACCEPT, str(request_id), user_id="U2", channel_id="D2",
                                       response_url=slack.stub.response_url("r")))


def _swap_request(slack, world) -> int:
    sync_schedule(slack.ctx, world.schedule_id)  # exported first, so the swap re-exports
    return submit(slack.ctx, query()).id


@pytest.mark.parametrize("send", [_schedules, _sync, _plan, _reapply, _pick_connection, _accept])
def test_the_ack_does_not_wait_for_the_provider(env, send):
    slack, http, fake, world = env
    alert = (drift_alert(slack, fake, world) if send is _reapply
             else _swap_request(slack, world) if send is _accept else None)
    gate = fake.fail = Gate()
    with ThreadPoolExecutor(1) as sender:
        answer = sender.submit(send, slack, http, world, alert)
        assert gate.entered.wait(5), "the provider was asked"
        try:
            response = answer.result(timeout=5)  # acked while the provider is still stuck
        finally:
            gate.released.set()
    assert response.status == 200
