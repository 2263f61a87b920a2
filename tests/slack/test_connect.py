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
from tests.plugins.world import PD, PD_KEY, pd_account
from tests.slack.blockkit import assert_view
from tests.slack.payloads import block_actions, radio, text, view_submission

# the key check runs on the real work pool here, as in production (the tests wait for its answer)
pytestmark = pytest.mark.usefixtures("work_pool")


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


def result_view(slack) -> dict:
    """The view the background check put in place of "Checking the key…" (the submitted view's id)."""
    (call,) = slack.stub.wait_for("views.update")
    assert call.body["view_id"] == "V1"
    view = call.body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert_view(view)
    return view


def assert_checking(resp) -> None:
    body = resp.json()
    assert body["response_action"] == "update"
    assert_view(body["view"])
    assert "Checking the key" in str(body["view"]) and "submit" not in body["view"]


def test_valid_key_is_stored_encrypted_and_schedules_offered(slack, slack_http, admin, conformant_respx):
    pd_account(conformant_respx)
    assert_checking(submit(slack, slack_http))
    view = result_view(slack)
    assert "Platform primary" in str(view) and "link_button" in str(view) and "can write" in str(view)
    assert slack.stub.wait_for("views.publish")  # App Home re-published for the admin
    (conn,) = stored(slack)
    assert conn.team_id == "T1" and conn.name == "Acme PD" and conn.key_hint == "…cdef"
    assert PD_KEY not in conn.api_key_encrypted and slack.ctx.keys.decrypt(conn.api_key_encrypted) == PD_KEY
    assert conn.can_write is True


def test_link_button_of_the_connected_modal_opens_the_link_modal_on_top(slack, slack_http, admin, conformant_respx):
    pd_account(conformant_respx)
    submit(slack, slack_http)
    view = result_view(slack)
    slack.stub.wait_for("views.publish")
    (link,) = [b["elements"][0] for b in view["blocks"] if b["type"] == "actions"]
    (conn,) = stored(slack)
    assert link["value"] == f"{conn.id}:PSCHED1"
    slack_http.interact(block_actions(link["action_id"], link["value"], channel_id=None,
                                      view={**view, "id": "V1", "hash": "h2"}))
    (pushed,) = slack.stub.wait_for("views.push")
    assert pushed.body["view"]["callback_id"] == CallbackId.LINK
    filled = slack.stub.wait_for("views.update", 2)[-1].body["view"]
    assert "PSCHED1" in str(filled)


def test_slow_provider_is_waited_for_after_an_immediate_ack(slack, slack_http, admin, conformant_respx):
    """A provider whose first answer takes 3 s (beyond Slack's window) still connects a good key."""
    pd_account(conformant_respx)
    route = conformant_respx.routes[0]  # pd_account's schedule list
    answer = route.return_value
    assert answer is not None and "schedules" in str(route.pattern)
    slow = []

    def first_slow(request):
        if not slow:
            slow.append(1)
            time.sleep(3.0)
        return answer

    route.side_effect = first_slow
    started = time.monotonic()
    resp = submit(slack, slack_http)
    assert time.monotonic() - started < 1.0, "the submission must be acked before the provider answers"
    assert_checking(resp)
    assert slack.stub.calls("views.update") == []
    view = result_view_within(slack, 8.0)
    assert "Connected *Acme PD*" in str(view) and "Platform primary" in str(view)
    slack.stub.wait_for("views.publish")
    assert [c.name for c in stored(slack)] == ["Acme PD"]


def result_view_within(slack, timeout: float) -> dict:
    slack.stub.wait_for("views.update", timeout=timeout)
    return result_view(slack)


def pd_error_route(router, status: int | None):
    route = router.get("https://api.eu.pagerduty.com/schedules")
    if status is None:
        route.mock(side_effect=httpx.ReadTimeout("timed out"))
    else:
        route.respond(status, json={"error": {"code": 2006, "message": "Nope"}})


@pytest.mark.parametrize(
    ("status", "block", "words"),
    [
        (401, BlockId.CONNECT_API_KEY, "rejected the API key (401)"),
        (403, BlockId.CONNECT_API_KEY, "The key must be allowed to read schedules."),
        (404, BlockId.CONNECT_REGION, "Check the region (EU)"),
        (429, BlockId.CONNECT_API_KEY, "rate-limiting this API key (429)"),
        (503, BlockId.CONNECT_API_KEY, "503"),
        (None, BlockId.CONNECT_REGION, "did not answer GET /schedules within 10s"),
    ],
)
def test_refused_key_shows_the_form_again_with_the_reason_under_the_field(
        slack, slack_http, admin, respx_mock, status, block, words):
    pd_error_route(respx_mock, status)
    assert_checking(submit(slack, slack_http, connect_values(region="eu")))
    view = result_view(slack)
    assert view["callback_id"] == CallbackId.CONNECT and view["submit"]["text"] == "Connect"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert words in blocks[block]["hint"]["text"]
    assert blocks[BlockId.CONNECT_API_KEY]["hint"]["text"].endswith("Enter the key again.")
    assert "initial_value" not in blocks[BlockId.CONNECT_API_KEY]["element"]
    assert blocks[BlockId.CONNECT_NAME]["element"]["initial_value"] == "Acme PD"
    assert blocks[BlockId.CONNECT_REGION]["element"]["initial_option"]["value"] == "eu"
    assert json.loads(view["private_metadata"]) == {"c": "C1", "r": slack.response_url}
    assert PD_KEY not in str(view)
    assert stored(slack) == []


def test_read_only_key_is_detected_and_said(slack, slack_http, admin, conformant_respx):
    pd_account(conformant_respx, can_write=False)
    submit(slack, slack_http)
    assert "read-only" in str(result_view(slack))
    slack.stub.wait_for("views.publish")
    (conn,) = stored(slack)
    assert conn.can_write is False


def test_the_check_has_an_overall_deadline_no_shorter_than_the_client_timeout(slack, slack_http, admin, respx_mock,
                                                                              monkeypatch):
    from dataclasses import replace

    import bot.services.connect as connect_service

    monkeypatch.setattr(connect_service, "CHECK_DEADLINE_SECONDS", 0.1)
    slack.ctx.settings = replace(slack.ctx.settings, provider_timeout_seconds=0.3)
    assert connect_service.deadline_for(slack.ctx) == 0.3
    respx_mock.get(f"{PD}/schedules").mock(side_effect=lambda r: time.sleep(1.0) or httpx.Response(500))
    started = time.monotonic()
    assert_checking(submit(slack, slack_http))
    view = result_view(slack)
    assert time.monotonic() - started < 0.9
    hint = next(b for b in view["blocks"] if b["block_id"] == BlockId.CONNECT_REGION)["hint"]["text"]
    assert "did not answer within 0.3 seconds" in hint
    assert stored(slack) == []


def test_closed_modal_gets_the_result_as_a_message(slack, slack_http, admin, conformant_respx):
    pd_account(conformant_respx)
    slack.stub.on("views.update", {"ok": False, "error": "not_found"})
    submit(slack, slack_http)
    (reply,) = slack.stub.wait_for("response_url")
    assert "Connected *Acme PD*" in reply.raw and "can write" in reply.raw
    slack.stub.wait_for("views.publish")


@pytest.mark.parametrize(
    ("values", "block", "words"),
    [
        (connect_values(name=""), BlockId.CONNECT_NAME, "name"),
        (connect_values(key=""), BlockId.CONNECT_API_KEY, "Paste"),
        (connect_values(key="has spaces in it"), BlockId.CONNECT_API_KEY, "without spaces"),
        (connect_values(provider="nagios"), BlockId.CONNECT_PROVIDER, "PagerDuty, Opsgenie or JSM"),
    ],
)
def test_bad_fields(slack, slack_http, admin, values, block, words):
    body = submit(slack, slack_http, values).json()
    assert body["response_action"] == "errors" and words in body["errors"][block]


def test_duplicate_name_is_refused(slack, slack_http, admin, conformant_respx):
    pd_account(conformant_respx)
    submit(slack, slack_http)
    slack.stub.wait_for("views.publish")
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
    from dataclasses import replace

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
            slack.stub.reset()
            slack_http.command("connect", response_url=slack.response_url)
            resp = submit(slack, slack_http, connect_values(name=f"Acme {time.monotonic()}"))
            slack.stub.wait_for("views.update")
            return resp

        run()  # valid key
        slack.stub.wait_for("views.publish")
        run(key_status=401)  # bad key
        run(can_write=False)  # read-only: 403 on the write check
        slack.stub.wait_for("views.publish")
        respx_mock.routes.clear()
        monkeypatch.setattr(connect_service, "CHECK_DEADLINE_SECONDS", 0.2)
        slack.ctx.settings = replace(slack.ctx.settings, provider_timeout_seconds=0.2)
        respx_mock.get(f"{PD}/schedules").mock(side_effect=lambda r: time.sleep(0.5) or httpx.Response(500))
        slack.stub.reset()
        slack_http.command("connect", response_url=slack.response_url)
        submit(slack, slack_http, connect_values(name="Slow"))  # timeout
        slack.stub.wait_for("views.update")
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


# ---------------------------------------------------------------- Opsgenie write access

OG = "https://api.opsgenie.com"
OG_SID = "og-sched-1"
OG_KEY = "og-key-0123456789abcd"


def og_account(router, *, schedules: bool = True, create: int = 201, delete: int = 200):
    """An Opsgenie account on respx: the schedule list and the write probe's two endpoints."""
    from tests.providers.fixtures import og_envelope, og_error, og_schedule

    listed = [og_schedule(OG_SID, "Platform")] if schedules else []
    router.get(f"{OG}/v2/schedules").respond(200, json=og_envelope(listed, expandable=True))
    denied = og_error("You are not authorized")
    post = router.post(f"{OG}/v2/schedules/{OG_SID}/overrides").respond(
        create, json=og_envelope({"alias": "oncall-bot-write-check"}) if create < 300 else denied)
    gone = router.delete(f"{OG}/v2/schedules/{OG_SID}/overrides/oncall-bot-write-check").respond(
        delete, json={"result": "Deleted", "took": 0.01, "requestId": "r"} if delete < 300 else denied)
    return post, gone


def connect_og(slack, slack_http) -> dict:
    submit(slack, slack_http, connect_values(key=OG_KEY, name="Acme OG", provider="opsgenie"))
    view = result_view(slack)
    slack.stub.wait_for("views.publish")
    return view


def connections_reply(slack, slack_http) -> str:
    slack.stub.reset()
    slack_http.command("connections", response_url=slack.response_url)
    (reply,) = slack.stub.wait_for("response_url")
    return reply.raw


def test_opsgenie_read_only_key_is_found_at_connect_and_said(slack, slack_http, admin, conformant_respx):
    post, gone = og_account(conformant_respx, create=403)
    view = connect_og(slack, slack_http)
    assert "read-only" in str(view) and "could not be checked" not in str(view)
    assert post.call_count == 1 and gone.call_count == 0
    (conn,) = stored(slack)
    assert conn.can_write is False
    assert "read-only: never exported to" in connections_reply(slack, slack_http)


def test_opsgenie_read_write_key_is_found_at_connect(slack, slack_http, admin, conformant_respx):
    post, gone = og_account(conformant_respx)
    assert "can write" in str(connect_og(slack, slack_http))
    assert post.call_count == 1 and gone.call_count == 1  # the probe is removed again
    (conn,) = stored(slack)
    assert conn.can_write is True
    assert "read-write" in connections_reply(slack, slack_http)


def test_opsgenie_probe_left_behind_is_reported(slack, slack_http, admin, conformant_respx):
    og_account(conformant_respx, delete=403)
    text = str(connect_og(slack, slack_http))
    assert "read-only" in text and "oncall-bot-write-check" in text and "delete it in Opsgenie" in text
    (conn,) = stored(slack)
    assert conn.can_write is False


def test_opsgenie_without_a_visible_schedule_has_unknown_write_access(slack, slack_http, admin, conformant_respx):
    post, _ = og_account(conformant_respx, schedules=False)
    text = str(connect_og(slack, slack_http))
    assert "Write access is not known yet" in text and "no Opsgenie schedule" in text
    assert post.call_count == 0
    (conn,) = stored(slack)
    assert conn.can_write is None
    assert "write access unknown: checked before the first export" in connections_reply(slack, slack_http)
