"""/oncall connect end to end: modal, key check under Slack's 3 s, storage, write detection, secrecy."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import quote

import httpx
import pytest
from sqlmodel import select

from bot.ids import ActionId, BlockId, CallbackId
from bot.store import Connection, session_scope
from tests.slack.blockkit import assert_view
from tests.slack.payloads import radio, text, view_submission
from tests.slack.world import PD, PD_KEY, pd_account


def connect_values(key: str = PD_KEY, name: str = "Acme PD", provider: str = "pagerduty", region: str = "us"):
    return {
        BlockId.CONNECT_PROVIDER: {ActionId.CONNECT_PROVIDER: radio(provider)},
        BlockId.CONNECT_NAME: {ActionId.CONNECT_NAME: text(name)},
        BlockId.CONNECT_API_KEY: {ActionId.CONNECT_API_KEY: text(key)},
        BlockId.CONNECT_REGION: {ActionId.CONNECT_REGION: radio(region)},
    }


def submit(slack, slack_http, values=None, user="U1"):
    meta = json.dumps({"c": "C1", "r": slack.response_url})
    return slack_http.interact(view_submission(CallbackId.CONNECT, values or connect_values(),
                                               private_metadata=meta, user_id=user))


@pytest.fixture
def admin(slack):
    slack.stub.add_user("U1", email="alice@example.com", is_admin=True)


def stored(slack) -> list[Connection]:
    with session_scope(slack.ctx.engine) as session:
        return list(session.exec(select(Connection)))


def test_connect_opens_the_modal(slack, slack_http, admin):
    assert slack_http.command("connect", response_url=slack.response_url).status == 200
    (call,) = slack.stub.wait_for("views.open")
    view = call.body["view"]
    assert view["callback_id"] == CallbackId.CONNECT
    assert_view(view)
    assert json.loads(view["private_metadata"]) == {"c": "C1", "r": slack.response_url}


def test_valid_key_is_stored_encrypted_and_schedules_offered(slack, slack_http, admin, conformant_respx):
    pd_account(conformant_respx)
    resp = submit(slack, slack_http)
    assert resp.status == 200 and not resp.body  # plain ack: the modal closes
    (conn,) = stored(slack)
    assert conn.team_id == "T1" and conn.name == "Acme PD" and conn.key_hint == "…cdef"
    assert PD_KEY not in conn.api_key_encrypted and slack.ctx.keys.decrypt(conn.api_key_encrypted) == PD_KEY
    assert conn.can_write is True
    (reply,) = slack.stub.wait_for("response_url")
    assert "Platform primary" in reply.raw and "link_button" in reply.raw and "can write" in reply.raw
    assert slack.stub.calls("views.publish")  # App Home re-published for the admin


def test_bad_key_shows_the_error_under_the_field(slack, slack_http, admin, conformant_respx):
    pd_account(conformant_respx, key_status=401)
    resp = submit(slack, slack_http)
    body = resp.json()
    assert body["response_action"] == "errors"
    assert "401" in body["errors"][BlockId.CONNECT_API_KEY]
    assert stored(slack) == []


def test_read_only_key_is_detected_and_said(slack, slack_http, admin, conformant_respx):
    pd_account(conformant_respx, can_write=False)
    assert submit(slack, slack_http).status == 200
    (conn,) = stored(slack)
    assert conn.can_write is False
    (reply,) = slack.stub.wait_for("response_url")
    assert "read-only" in reply.raw


def test_slow_provider_is_reported_under_the_field_in_time(slack, slack_http, admin, respx_mock, monkeypatch):
    import bot.services.connect as connect_service

    monkeypatch.setattr(connect_service, "VALIDATE_DEADLINE_SECONDS", 0.3)

    def slow(request):
        time.sleep(1.0)
        return httpx.Response(200, json={"schedules": [], "more": False, "limit": 100, "offset": 0})

    respx_mock.get(f"{PD}/schedules").mock(side_effect=slow)
    started = time.monotonic()
    body = submit(slack, slack_http).json()
    assert time.monotonic() - started < 0.9
    assert body["response_action"] == "errors"
    assert "did not answer within 0.3 seconds" in body["errors"][BlockId.CONNECT_API_KEY]
    assert stored(slack) == []


def test_provider_timeouts_after_retries_are_reported(slack, slack_http, admin, respx_mock):
    respx_mock.get(f"{PD}/schedules").mock(side_effect=httpx.ReadTimeout("timed out"))
    body = submit(slack, slack_http).json()
    assert body["response_action"] == "errors"
    assert "PagerDuty" in body["errors"][BlockId.CONNECT_API_KEY]


@pytest.mark.parametrize(
    ("values", "block", "words"),
    [
        (connect_values(name=""), BlockId.CONNECT_NAME, "name"),
        (connect_values(key=""), BlockId.CONNECT_API_KEY, "Paste"),
        (connect_values(key="has spaces in it"), BlockId.CONNECT_API_KEY, "without spaces"),
        (connect_values(provider="nagios"), BlockId.CONNECT_PROVIDER, "PagerDuty or Opsgenie"),
    ],
)
def test_bad_fields(slack, slack_http, admin, values, block, words):
    body = submit(slack, slack_http, values).json()
    assert body["response_action"] == "errors" and words in body["errors"][block]


def test_duplicate_name_is_refused(slack, slack_http, admin, conformant_respx):
    pd_account(conformant_respx)
    submit(slack, slack_http)
    body = submit(slack, slack_http).json()
    assert "exists already" in body["errors"][BlockId.CONNECT_NAME]


def test_non_admin_is_refused(slack, slack_http):
    slack.stub.add_user("U2", email="bob@example.com")
    slack_http.command("connect", user_id="U2", response_url=slack.response_url)
    (reply,) = slack.stub.wait_for("response_url")
    assert "Only workspace admins and owners" in reply.raw and reply.body["response_type"] == "ephemeral"
    assert slack.stub.calls("views.open") == []
    body = submit(slack, slack_http, user="U2").json()
    assert body["response_action"] == "update" and "Only workspace admins" in str(body["view"])


def test_admin_list_from_the_environment(slack, slack_http):
    from dataclasses import replace

    slack.stub.add_user("U2", email="bob@example.com")
    slack.ctx.settings = replace(slack.ctx.settings, admin_user_ids=("U2",))
    slack_http.command("connect", user_id="U2", response_url=slack.response_url)
    assert slack.stub.wait_for("views.open")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_the_key_never_reaches_logs_or_slack(slack, slack_http, admin, respx_mock, monkeypatch):
    """Every connect path with all logging at DEBUG: the key appears in no record and no Slack call."""
    import bot.services.connect as connect_service

    capture = Capture()
    names = ["", "slack_bolt", "slack_bolt.App", "slack_sdk", "httpx", "httpcore", "bot", "urllib3"]
    before = {n: logging.getLogger(n).level for n in names}
    root = logging.getLogger()
    root.addHandler(capture)
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    try:
        def run(**routes):
            respx_mock.reset()
            respx_mock.routes.clear()
            pd_account(respx_mock, **routes)
            slack_http.command("connect", response_url=slack.response_url)
            return submit(slack, slack_http, connect_values(name=f"Acme {time.monotonic()}"))

        run()  # valid key
        run(key_status=401)  # bad key
        run(can_write=False)  # read-only: 403 on the write check
        respx_mock.routes.clear()
        monkeypatch.setattr(connect_service, "VALIDATE_DEADLINE_SECONDS", 0.2)
        respx_mock.get(f"{PD}/schedules").mock(side_effect=lambda r: time.sleep(0.5) or httpx.Response(500))
        slack_http.command("connect", response_url=slack.response_url)
        submit(slack, slack_http, connect_values(name="Slow"))  # timeout
        time.sleep(0.6)
    finally:
        root.removeHandler(capture)
        for n, level in before.items():
            logging.getLogger(n).setLevel(level)
    assert len(capture.lines) > 20, "DEBUG logging was not captured"
    assert any("connect_api_key" in line for line in capture.lines), "bolt's payload log was not captured"
    forms = {PD_KEY, quote(PD_KEY, safe=""), quote(PD_KEY), json.dumps(PD_KEY)[1:-1]}
    for line in capture.lines:
        for form in forms:
            assert form not in line, f"API key leaked in a log line: {line[:200]}"
    sent = slack.stub.all_text()
    for form in forms:
        assert form not in sent, "API key sent to Slack"
    for call in slack.stub.calls():
        assert PD_KEY not in str(call.body)
    with session_scope(slack.ctx.engine) as session:
        for conn in session.exec(select(Connection)):
            assert PD_KEY not in repr(conn)
