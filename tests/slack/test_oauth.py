"""Issue 10: Slack OAuth installs keep their tokens encrypted at rest, and an OAuth `state` is
accepted once. End to end through the WSGI app (install page → callback on the Slack stub), and
the two stores directly on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import logging
import re
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Text, func, select, type_coerce

from bot.crypto import KeyBox
from bot.oauth_state import FORGET_AFTER, SignedOAuthStateStore
from bot.store.slack_oauth import (
    SEALED_COLUMNS,
    EncryptedInstallationStore,
    bots,
    installations,
    oauth_states_used,
)

BOT_TOKEN = "xoxb-1111-2222-botsecretABCDEFGHIJKLMN"
USER_TOKEN = "xoxp-1111-2222-3333-usersecretABCDEFGHIJKLMNOPQRSTUV"
REFRESH = "xoxe-1-refreshsecret" + "R" * 140  # rotating tokens are long
CLIENT_ID = "111.222"


def _oauth_access(_body: dict) -> dict:
    return {"ok": True, "app_id": "A1", "team": {"id": "T1", "name": "Test"}, "access_token": BOT_TOKEN,
            "token_type": "bot", "scope": "commands,chat:write", "bot_user_id": "UBOT", "refresh_token": REFRESH,
            "expires_in": 43200, "authed_user": {"id": "U1", "access_token": USER_TOKEN, "scope": "identify"}}


def _get(wsgi, path: str, query: str = "", cookie: str = "") -> tuple[int, dict, str]:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "test",
               "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO(), "CONTENT_LENGTH": "0"}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=int(status.split()[0]), headers={k.lower(): v for k, v in headers})

    body = b"".join(wsgi(environ, start_response)).decode()
    return seen["status"], seen["headers"], body


@pytest.fixture
def oauth_app(slack):
    from bot.app import create_app
    from bot.server import make_wsgi_app

    slack.ctx.settings = replace(slack.ctx.settings, slack_bot_token=None, slack_client_id=CLIENT_ID,
                                 slack_client_secret="client-secret-0123")
    slack.stub.on("oauth.v2.access", _oauth_access)
    return make_wsgi_app(create_app(slack.ctx))


def _install(wsgi) -> tuple[str, str]:
    status, headers, page = _get(wsgi, "/slack/install")
    assert status == 200
    state = re.search(r"state=([^&\"']+)", page).group(1)
    assert f"slack-app-oauth-state={state}" in headers.get("set-cookie", "")
    return f"code=c1&state={state}", f"slack-app-oauth-state={state}"


def test_an_oauth_install_stores_no_token_in_clear_and_the_bot_still_uses_it(slack, oauth_app, sqlite_url):
    from bot.jobs import slack_client_for

    query, cookie = _install(oauth_app)
    status, _, _ = _get(oauth_app, "/slack/oauth_redirect", query, cookie)
    assert status == 200 and len(slack.stub.calls("oauth.v2.access")) == 1

    slack.ctx.engine.dispose()  # flush SQLite's write-ahead log into the file
    path = sqlite_url.removeprefix("sqlite:///")
    stored = b"".join(Path(p).read_bytes() for p in (path, path + "-wal") if Path(p).exists())
    for token in (BOT_TOKEN, USER_TOKEN, REFRESH, "botsecret", "usersecret", "refreshsecret"):
        assert token.encode() not in stored

    store = EncryptedInstallationStore(CLIENT_ID, slack.ctx.engine, slack.ctx.keys)
    assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == BOT_TOKEN
    found = store.find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert (found.bot_token, found.user_token, found.user_refresh_token) == (BOT_TOKEN, USER_TOKEN, None)
    client = slack_client_for(slack.ctx, WebClient(token=None, base_url=slack.stub.api_url), "T1")
    assert client is not None and client.token == BOT_TOKEN


def test_an_oauth_install_logs_no_token_even_at_debug(slack, oauth_app, caplog):
    for name in ("", "slack_bolt", "slack_sdk", "bot", "sqlalchemy"):
        caplog.set_level(logging.DEBUG, logger=name or None)  # restored after the test
    query, cookie = _install(oauth_app)
    assert _get(oauth_app, "/slack/oauth_redirect", query, cookie)[0] == 200
    assert "oauth.v2.access" in caplog.text  # slack_sdk logged the response …
    for secret in ("botsecret", "usersecret", "refreshsecret"):
        assert secret not in caplog.text  # … without the tokens in it


def test_an_oauth_state_is_accepted_once(slack, oauth_app):
    query, cookie = _install(oauth_app)
    assert _get(oauth_app, "/slack/oauth_redirect", query, cookie)[0] == 200
    replayed, _, _ = _get(oauth_app, "/slack/oauth_redirect", query, cookie)
    assert replayed != 200
    assert len(slack.stub.calls("oauth.v2.access")) == 1  # the replay never reached Slack


# ---------------------------------------------------------------- the state store


def test_state_is_single_use_across_replicas(any_engine):
    now = [1_000_000.0]
    replica_a = SignedOAuthStateStore("secret", any_engine, expiration_seconds=60, clock=lambda: now[0])
    replica_b = SignedOAuthStateStore("secret", any_engine, expiration_seconds=60, clock=lambda: now[0])
    state = replica_a.issue()
    assert replica_b.consume(state)
    assert not replica_a.consume(state) and not replica_b.consume(state)
    assert replica_a.consume(replica_a.issue())  # a fresh one still works


def test_concurrent_consumers_of_one_state_let_exactly_one_through(any_engine):
    store = SignedOAuthStateStore("secret", any_engine)
    state = store.issue()
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def consume():
        barrier.wait()
        results.append(SignedOAuthStateStore("secret", any_engine).consume(state))

    threads = [threading.Thread(target=consume) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == [False] * 5 + [True]


def test_used_states_are_forgotten_only_well_after_they_expire(any_engine):
    now = [1_000_000.0]
    store = SignedOAuthStateStore("secret", any_engine, expiration_seconds=60, clock=lambda: now[0])
    assert store.consume(store.issue())
    now[0] += 60 + FORGET_AFTER - 1
    assert store.consume(store.issue())
    with any_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(oauth_states_used)).scalar() == 2
    now[0] += 2
    assert store.consume(store.issue())
    with any_engine.connect() as conn:
        kept = conn.execute(select(oauth_states_used.c.expires_at)).scalars().all()
    assert len(kept) == 2 and min(kept) > datetime.fromtimestamp(now[0] - FORGET_AFTER, UTC)


# ---------------------------------------------------------------- the installation store


def _installation(**kw) -> Installation:
    values = dict(app_id="A1", enterprise_id=None, team_id="T1", user_id="U1", bot_token=BOT_TOKEN,
                  bot_id="B1", bot_user_id="UBOT", bot_scopes="commands", user_token=USER_TOKEN,
                  bot_refresh_token=REFRESH, bot_token_expires_in=43200)
    return Installation(**{**values, **kw})


def _raw(engine, table) -> list[str]:
    names = [n for n in SEALED_COLUMNS if n in table.c]
    with engine.connect() as conn:
        rows = conn.execute(select(*[type_coerce(table.c[n], Text()) for n in names])).all()
    return [v for row in rows for v in row if v is not None]


def test_tokens_are_encrypted_at_rest_and_fit_their_columns(any_engine):
    keys = KeyBox(Fernet.generate_key().decode())
    store = EncryptedInstallationStore(CLIENT_ID, any_engine, keys)
    store.save(_installation())
    raw = _raw(any_engine, installations) + _raw(any_engine, bots)
    assert raw and all(v.startswith("gAAAAA") for v in raw)
    assert not any(t in v for v in raw for t in (BOT_TOKEN, USER_TOKEN, REFRESH))
    bot = store.find_bot(enterprise_id=None, team_id="T1")
    assert (bot.bot_token, bot.bot_refresh_token) == (BOT_TOKEN, REFRESH)
    with pytest.raises(Exception, match="ONCALL_SECRET_KEY"):  # another key cannot read them
        EncryptedInstallationStore(CLIENT_ID, any_engine, KeyBox(Fernet.generate_key().decode())).find_bot(
            enterprise_id=None, team_id="T1")


def test_clear_rows_from_before_keep_working_and_are_sealed_at_the_next_save(any_engine):
    SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=any_engine).save(
        _installation(bot_refresh_token=None, bot_token_expires_in=None))  # as the bot stored it before
    assert BOT_TOKEN in _raw(any_engine, bots)
    store = EncryptedInstallationStore(CLIENT_ID, any_engine, KeyBox(Fernet.generate_key().decode()))
    assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == BOT_TOKEN
    assert store.find_installation(enterprise_id=None, team_id="T1").user_token == USER_TOKEN

    store.save(_installation(team_id="T2"))  # any later install or token refresh
    raw = _raw(any_engine, installations) + _raw(any_engine, bots)
    assert not any(t in v for v in raw for t in (BOT_TOKEN, USER_TOKEN))
    assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == BOT_TOKEN
    assert store.seal_legacy_rows() == 0
