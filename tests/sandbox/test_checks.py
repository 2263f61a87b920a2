"""What `oncall-bot sandbox` checks, through its own wiring (`Options.checked`, `cli._report`): provider
requests against the official API descriptions (answered 400 and counted when they do not conform;
a one-line notice and no checks without the specs), Slack's rules by default (Web API, response URLs
and the bot's acks), and the validator libraries stay out of the bot's imports."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import httpx
import pytest

from bot.sandbox import conformance
from bot.sandbox.cli import _report
from bot.sandbox.http import LoopbackServer
from bot.sandbox.provider import SimResponse
from bot.sandbox.seed import OG_KEY, PD_KEY, seed_opsgenie, seed_pagerduty
from bot.sandbox.session import Options, Sandbox
from bot.sandbox.slack_rules import violations
from bot.sandbox.slack_user import SandboxError, SlackPeople
from tests.conformance import requires_specs

PD_HEADERS = {"Authorization": f"Token token={PD_KEY}", "Accept": "application/vnd.pagerduty+json;version=2",
              "Content-Type": "application/json"}
LONG_TITLE = {"type": "modal", "title": {"type": "plain_text", "text": "A title far longer than Slack allows"},
              "blocks": []}


@pytest.fixture
def served():
    """A sandbox (not started: no bot process) with its provider simulators served over HTTP."""
    servers: list[LoopbackServer] = []

    def serve(box: Sandbox) -> tuple[str, str]:
        now = datetime.now(UTC)
        seed_pagerduty(box.pd, now)
        seed_opsgenie(box.og, now)
        servers.extend([LoopbackServer(box.pd.handle).start(), LoopbackServer(box.og.handle).start()])
        return servers[-2].url, servers[-1].url

    yield serve
    for server in servers:
        server.stop()


@requires_specs
def test_a_non_conforming_request_is_answered_400_counted_and_fails_a_script(served, capsys):
    box = Sandbox(Options.checked(), out=lambda _t: None)
    pd, og = served(box)
    assert httpx.get(f"{pd}/schedules", headers=PD_HEADERS).status_code == 200
    assert box.refused() == [] and _report(box, strict=True) == 0
    bad = httpx.get(f"{pd}/schedules", params={"bogus": "1"}, headers=PD_HEADERS)
    assert bad.status_code == 400 and "'bogus' is not declared" in bad.text
    bad = httpx.get(f"{og}/v2/schedules/on-calls", headers={"Authorization": f"GenieKey {OG_KEY}"})
    assert bad.status_code == 400
    assert len(box.refused()) == 2 and len(box.pd.problems) == len(box.og.problems) == 1
    assert "Checked: provider requests against the official API descriptions" in box.intro()
    capsys.readouterr()
    assert _report(box, strict=True) == 1  # --script / --tour exit 1
    out, err = capsys.readouterr()
    assert "provider 2 not conforming" in out and "'bogus' is not declared" in err
    assert PD_KEY not in out + err and OG_KEY not in out + err
    assert _report(box, strict=False) == 0  # the interactive session only reports


def test_without_specs_a_one_line_notice_and_no_checks(monkeypatch, served):
    monkeypatch.setenv(conformance.SPECS_ENV, "/nonexistent")
    box = Sandbox(Options.checked(), out=lambda _t: None)
    assert box.pd.check is None and box.og.check is None
    notice = [line for line in box.intro().splitlines() if "not checked" in line]
    assert len(notice) == 1 and "/nonexistent" in notice[0] and "ONCALL_SPECS_DIR" in notice[0]
    pd, _og = served(box)
    assert httpx.get(f"{pd}/schedules", params={"bogus": "1"}, headers=PD_HEADERS).status_code == 200
    assert box.refused() == [] and "provider not checked" in box.summary()


def test_without_the_validator_libraries_a_notice_naming_the_extra(monkeypatch):
    real = conformance.importlib.util.find_spec
    monkeypatch.setattr(conformance.importlib.util, "find_spec",
                        lambda name, *a: None if name == "jsonschema" else real(name, *a))
    options = Options.checked()
    assert options.pagerduty_check is None and options.opsgenie_check is None
    assert "jsonschema" in options.unchecked and ".[test]" in options.unchecked


def test_the_bot_and_the_sandbox_import_no_validator_or_test_library():
    code = ("import sys, bot.cli, bot.sandbox.cli, bot.sandbox.conformance, bot.sandbox.session; "
            "print(sorted({'jsonschema', 'openapi_schema_validator', 'yaml', 'pytest', 'respx'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_slack_rules_are_on_by_default_for_web_api_calls_and_response_urls():
    box = Sandbox(Options(), out=lambda _t: None)
    assert box.slack.rules is violations
    server = LoopbackServer(box.slack.handle).start()
    try:
        box.slack.base_url = server.url
        box.slack.add_user("U1", "alice", "alice@example.com")
        answer = httpx.post(f"{server.url}/api/views.open", headers={"Authorization": f"Bearer {box.slack.token}"},
                            json={"trigger_id": box.slack.new_trigger("U1"), "view": LONG_TITLE}).json()
        assert answer["error"] == "invalid_arguments" and box.slack.open_modal("U1") is None
        url = box.slack.new_response_url("U1", None)
        assert httpx.post(url, json={"blocks": [{"type": "section"}]}).status_code == 400
        assert len(box.slack.problems) == 2 and "Slack 2 refused" in box.summary()
    finally:
        server.stop()


def test_an_ack_slack_refuses_stops_the_step_and_is_counted():
    box = Sandbox(Options(), out=lambda _t: None)
    bot = LoopbackServer(lambda _r: SimResponse(200, {"response_action": "update", "view": LONG_TITLE})).start()
    people = SlackPeople(box.slack, f"{bot.url}/slack/events", "secret")
    try:
        box.slack.add_user("U1", "alice", "alice@example.com")
        box.slack.push_modal("U1", {"type": "modal", "title": {"type": "plain_text", "text": "Connect"},
                                    "submit": {"type": "plain_text", "text": "Go"}, "blocks": []})
        with pytest.raises(SandboxError, match="Slack refused"):
            people.submit("U1")
        assert box.slack.open_modal("U1").payload["title"]["text"] == "Connect"
        assert any(p.startswith("ack: ") for p in box.slack.problems)
    finally:
        people.close()
        bot.stop()


def test_a_problem_with_the_authorization_header_never_shows_the_key():
    spec = conformance.Spec("pagerduty", {"paths": {}, "components": {}})
    param = {"name": "Authorization", "in": "header", "schema": {"type": "string", "enum": ["Token token=x"]}}
    problems = conformance._value_problems(spec, param, [f"Token token={PD_KEY}"])
    assert problems and not any(PD_KEY in p for p in problems), problems
