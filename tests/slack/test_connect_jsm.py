"""/oncall connect for JSM: site, email and API token; the site's cloudId read from tenant_info and kept
with the token (encrypted, never shown); refusals under the field to fix (Slack's rules apply to every view)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.ids import ActionId, BlockId, CallbackId
from bot.providers import JsmCredentials
from bot.store import Connection, session_scope
from bot.views.connect import credential_block
from tests.slack.blockkit import assert_view
from tests.slack.payloads import radio, text, view_submission
from tests.sync_io.fakes import JSM_CLOUD, FakeJsm

pytestmark = pytest.mark.usefixtures("work_pool")
TOKEN = "ATATT3xFfGF0-fake-jsm-token-0000wxyz"


def values(site: str = "acme", email: str = "ops@example.com", token: str = TOKEN) -> dict:
    return {
        BlockId.CONNECT_PROVIDER: {ActionId.CONNECT_PROVIDER: radio("jsm")},
        BlockId.CONNECT_NAME: {ActionId.CONNECT_NAME: text("Acme JSM")},
        BlockId.CONNECT_API_KEY: {ActionId.CONNECT_API_KEY: text(token)},
        credential_block("site"): {"site": text(site)},
        credential_block("email"): {"email": text(email)},
        BlockId.CONNECT_REGION: {ActionId.CONNECT_REGION: radio("us")},
    }


def submit(slack, slack_http, form: dict):
    meta = json.dumps({"c": "C1", "r": slack.response_url})
    return slack_http.interact(view_submission(CallbackId.CONNECT, form, private_metadata=meta, user_id="U1"))


@pytest.fixture
def admin(slack):
    slack.stub.add_user("U1", email="alice@example.com", is_admin=True)


@pytest.fixture
def jsm(conformant_respx):
    fake = FakeJsm(conformant_respx, lambda: datetime(2026, 11, 4, 12, tzinfo=UTC))
    fake.account.keys = {f"ops@example.com:{TOKEN}": "rw"}
    return fake


def result(slack) -> str:
    (call,) = slack.stub.wait_for("views.update")
    view = call.body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert_view(view)
    return json.dumps(view)


def test_a_jsm_site_is_connected_with_its_cloud_id_and_the_token_kept_secret(slack, slack_http, admin, jsm):
    body = submit(slack, slack_http, values(site="https://ACME.atlassian.net/")).json()
    assert body["response_action"] == "update"
    shown = result(slack)
    assert "Platform primary" in shown and "can write" in shown and TOKEN not in shown
    with session_scope(slack.ctx.engine) as session:
        (conn,) = session.exec(select(Connection)).all()
    assert conn.provider == "jsm" and conn.key_hint == "…wxyz" and TOKEN not in conn.api_key_encrypted
    assert JsmCredentials.unpack(slack.ctx.keys.decrypt(conn.api_key_encrypted)) == JsmCredentials(
        "acme", "ops@example.com", TOKEN, JSM_CLOUD)
    assert [r.url.path for r in jsm.log].count("/_edge/tenant_info") == 1
    assert jsm.sim.overrides == {}, "the write check's probe override is gone again"


@pytest.mark.parametrize(("form", "block", "words"), [
    (values(site="acme.example.com"), credential_block("site"), "site name"),
    (values(site=""), credential_block("site"), "site name"),
    (values(email="ops"), credential_block("email"), "email"),
])
def test_bad_jsm_fields_are_refused_under_the_field(slack, slack_http, admin, form, block, words):
    body = submit(slack, slack_http, form).json()
    assert body["response_action"] == "errors" and words in body["errors"][block]


def test_a_rejected_token_says_to_renew_it_and_keeps_site_and_email(slack, slack_http, admin, jsm):
    jsm.account.expire(TOKEN)
    submit(slack, slack_http, values())
    shown = result(slack)
    assert "expire" in shown and "new token" in shown and TOKEN not in shown
    assert '"initial_value": "acme"' in shown and '"initial_value": "ops@example.com"' in shown
    with session_scope(slack.ctx.engine) as session:
        assert session.exec(select(Connection)).all() == []


def test_an_unknown_site_is_named_under_the_site_field(slack, slack_http, admin, jsm, conformant_respx):
    conformant_respx.get("https://nosuchsite.atlassian.net/_edge/tenant_info").respond(404, text="Not Found")
    submit(slack, slack_http, values(site="nosuchsite"))
    shown = result(slack)
    assert "nosuchsite.atlassian.net" in shown


def test_the_site_is_shown_with_the_connection_never_the_email_or_token(slack, slack_http, admin, jsm):
    submit(slack, slack_http, values())
    assert "Connected *Acme JSM* (JSM on acme.atlassian.net, key " in result(slack)
    slack_http.command("connections", user_id="U1", response_url=slack.stub.response_url("connections"))
    (answer,) = slack.stub.wait_for("response_url")
    listed = json.dumps(answer.body, ensure_ascii=False)
    assert "*Acme JSM* · JSM acme.atlassian.net · key …wxyz" in listed, listed
    assert "ops@example.com" not in listed and TOKEN not in listed
