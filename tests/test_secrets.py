"""API keys never leave the bot: not in logs (any level, any library), Slack messages, the
database file or error texts, through export, drift read-back and every failure path."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from urllib.parse import quote, quote_plus

import httpx
import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.notify.sync import sync_and_notify
from bot.store import Connection, Destination, session_scope
from tests.plugins.world import OG_KEY, PD_KEY, Clock, add_world
from tests.providers.fixtures import og_error, pd_error
from tests.sync_io.fakes import T0, FakeOpsgenie, FakePagerDuty


def _forms(key: str) -> set[str]:
    return {key, quote(key, safe=""), quote_plus(key), json.dumps(key)[1:-1], key[-12:]}


@pytest.fixture
def everything_logged(caplog):
    for name in ("", "httpx", "httpcore", "slack_bolt", "slack_sdk", "bot", "apscheduler", "sqlalchemy"):
        caplog.set_level(logging.DEBUG, logger=name or None)  # restored after the test
    return caplog


FAILURES = {
    "ok": None,
    "outage": (503, 5),
    "revoked": (401, 1),
    "read-only": (403, 3),
    "rate-limited": (429, 1),
    "timeout": ("timeout", 0),
}


@pytest.mark.parametrize("provider", ["pagerduty", "opsgenie"])
@pytest.mark.parametrize("failure", list(FAILURES))
def test_key_never_leaks_through_export_and_failures(slack, conformant_respx, everything_logged, provider, failure):
    clock = Clock(T0 + timedelta(days=2, hours=3))
    slack.ctx.clock = clock
    fake = (FakePagerDuty if provider == "pagerduty" else FakeOpsgenie)(conformant_respx, clock)
    key = PD_KEY if provider == "pagerduty" else OG_KEY
    world = add_world(slack.ctx, provider=provider, weeks=3)
    slack.stub.add_channel("C1")  # the schedule's channel, where outage notices go
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)

    spec = FAILURES[failure]
    if spec is not None:
        status, _ = spec

        def fail(request: httpx.Request) -> httpx.Response:
            if status == "timeout":
                raise httpx.ReadTimeout("timed out", request=request)
            body = pd_error(2001, f"failure {status}") if provider == "pagerduty" else og_error(f"failure {status}")
            headers = {"ratelimit-reset": "1", "Retry-After": "1"} if status == 429 else {}
            # a provider echoing the Authorization header back must not leak it either
            body["echo"] = request.headers.get("Authorization", "")
            return httpx.Response(status, json=body, headers=headers)

        fake.fail = fail
    for _ in range(2):
        sync_and_notify(slack.ctx, world.schedule_id, client=client)
        clock.advance(hours=2)

    assert fake.log, "the provider was called with the key"
    assert all(key in r.headers["Authorization"] for r in fake.log)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in everything_logged.records)
    logged += everything_logged.text
    slack_text = slack.stub.all_text()
    with session_scope(slack.ctx.engine) as session:
        errors = " ".join(d.last_error or "" for d in session.exec(select(Destination)).all())
        stored = session.exec(select(Connection)).one()
    raw_db = b""
    db_path = slack.ctx.engine.url.database
    for suffix in ("", "-wal"):
        try:
            with open(db_path + suffix, "rb") as fh:
                raw_db += fh.read()
        except FileNotFoundError:
            pass
    assert raw_db, "the database file was read"
    for form in _forms(key):
        assert form not in logged, f"key form {form!r} in logs"
        assert form not in slack_text, f"key form {form!r} sent to Slack"
        assert form not in errors, f"key form {form!r} in a destination error"
        assert form.encode() not in raw_db, f"key form {form!r} stored in clear"
        assert form not in repr(stored)
    if spec is not None:
        assert errors.strip(), "the failure was recorded in words"
