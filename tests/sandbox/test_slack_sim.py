"""The Slack simulator's Web API side (state, single-use triggers, the rules hook) and Block Kit as text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import render
from bot.sandbox.http import LoopbackServer
from bot.sandbox.slack_api import SlackSim
from bot.sandbox.slack_rules import violations
from bot.sandbox.slack_user import SandboxError, SlackPeople


@pytest.fixture
def slack():
    sim = SlackSim(token="xoxb-t", rules=violations)
    sim.add_user("U1", "alice", "alice@example.com", tz="Europe/Berlin", admin=True)
    sim.add_user("U2", "bob", "bob@example.com")
    sim.add_channel("C1", "oncall")
    server = LoopbackServer(sim.handle).start()
    sim.base_url = server.url
    yield sim, WebClient(token="xoxb-t", base_url=f"{server.url}/api/")
    server.stop()


MODAL = {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "Connect"},
         "submit": {"type": "plain_text", "text": "Go"},
         "blocks": [{"type": "input", "block_id": "name", "label": {"type": "plain_text", "text": "Name"},
                     "element": {"type": "plain_text_input", "action_id": "v", "initial_value": "x"}}]}


def test_triggers_are_single_use_and_views_update_needs_an_id(slack):
    sim, client = slack
    trigger = sim.new_trigger("U1")
    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert sim.open_modal("U1").id == opened["id"]
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id=trigger, view=MODAL)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.api_call("views.update", json={"view": MODAL})
    client.views_update(view_id=opened["id"], view={**MODAL, "title": {"type": "plain_text", "text": "Checking"}})
    assert sim.open_modal("U1").payload["title"]["text"] == "Checking"


def test_the_rules_hook_refuses_and_counts(slack):
    sim, client = slack
    bad = {**MODAL, "submit": None, "title": {"type": "plain_text", "text": "A title far longer than Slack allows"}}
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(trigger_id=sim.new_trigger("U1"), view=bad)
    assert any("/view/title" in p for p in sim.problems) and any("needs a submit" in p for p in sim.problems)
    assert sim.open_modal("U1") is None


def test_messages_dms_ephemerals_and_response_urls_become_surfaces(slack):
    sim, client = slack
    client.chat_postMessage(channel="C1", text="hello", blocks=[{"type": "actions", "elements": [
        {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Accept"}, "value": "1"}]}])
    client.chat_postMessage(channel="U2", text="psst")
    url = sim.new_response_url("U1", "C1")
    assert httpx.post(url, json={"text": "only you", "response_type": "ephemeral"}).status_code == 200
    kinds = [(e.surface.kind, e.surface.audience) for e in sim.events]
    assert kinds == [("channel", None), ("dm", "U2"), ("ephemeral", "U1")]
    people = SlackPeople(sim, "http://127.0.0.1:9/slack/events", "s")
    surface, _block, button = people.find_button("U2", "accept")
    assert surface.kind == "channel" and button["value"] == "1"
    with pytest.raises(SandboxError, match="no button"):
        people.find_button("U2", "Decline")
    assert [s.payload["text"] for s in sim.visible("U2")] == ["psst", "hello"]


def test_block_kit_reads_as_text():
    names = render.Names({"U1": "alice"}.get, {"C1": "oncall"}.get, "Europe/Berlin")
    ts = int(datetime(2026, 12, 7, 10, tzinfo=ZoneInfo("Europe/Berlin")).timestamp())
    text = render.mrkdwn(f"<@U1> is on call from <!date^{ts}^{{date_short_pretty}} {{time}}|x> in <#C1>, "
                         "see <https://x.invalid|the docs>", names)
    assert text == "@alice is on call from Mon 7 Dec 10:00 in #oncall, see the docs"
    assert render.mrkdwn(":warning: at 10:30: :unknown_one:", names) == "⚠ at 10:30: :unknown_one:"
    view = render.view(MODAL, names)
    assert "┌ Connect ┐" in view and "• Name: ‹x›" in view and "[Go]" in view
