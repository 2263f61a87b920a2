"""The per-person command limit (refused in the ack, before any work) and the paced provider
factory every command shares with the sync (one bucket per provider account)."""

from __future__ import annotations

import bisect
from dataclasses import replace

import httpx
import pytest

from bot.commands.command_limit import CommandLimiter
from bot.config import ConfigError, Settings
from tests.plugins.world import PD, PD_KEY, add_connection, pd_account


def test_limiter_counts_a_sliding_minute_per_person():
    now = [100.0]
    limiter = CommandLimiter(3, clock=lambda: now[0])
    assert [limiter.check("T1", "U1") for _ in range(3)] == [None, None, None]
    now[0] += 20
    refusal = limiter.check("T1", "U1")
    assert refusal is not None and refusal.count == 3 and refusal.retry_after == pytest.approx(40)
    assert "You've run 3 commands in the last minute; try again in 40 s" in refusal.text
    assert limiter.check("T1", "U2") is None and limiter.check("T2", "U1") is None  # others unaffected
    now[0] += 40.5  # the first three left the window; refusals were not counted
    assert limiter.check("T1", "U1") is None


def test_limit_is_configurable():
    assert Settings.from_env({}).commands_per_minute == 10
    assert Settings.from_env({"ONCALL_COMMANDS_PER_MINUTE": "25"}).commands_per_minute == 25
    with pytest.raises(ConfigError, match="ONCALL_COMMANDS_PER_MINUTE"):
        Settings.from_env({"ONCALL_COMMANDS_PER_MINUTE": "lots"})


@pytest.fixture
def limited(slack):
    slack.ctx.settings = replace(slack.ctx.settings, commands_per_minute=3)
    return slack


def test_over_the_limit_is_refused_in_the_ack_before_any_provider_work(limited, conformant_respx):
    from bot.app import create_app
    from bot.server import make_wsgi_app
    from tests.plugins.slack import InlineExecutor
    from tests.slack.payloads import HttpDriver

    pd_account(conformant_respx)
    add_connection(limited.ctx)
    http = HttpDriver(make_wsgi_app(create_app(limited.ctx, listener_executor=InlineExecutor())))
    for _ in range(3):
        assert http.command("schedules", response_url=limited.response_url).status == 200
    before = len(conformant_respx.calls)
    assert before >= 3
    refused = http.command("schedules", response_url=limited.response_url)
    assert refused.status == 200
    body = refused.json()
    assert body["response_type"] == "ephemeral"
    assert "You've run 3 commands in the last minute; try again in" in body["text"]
    assert len(conformant_respx.calls) == before  # nothing reached the provider
    assert len(limited.stub.calls("response_url")) == 3  # the refusal needed no Slack call
    # someone else is not affected
    assert http.command("help", user_id="U2", response_url=limited.response_url).json() is None
    assert len(limited.stub.wait_for("response_url", count=4)) == 4


def test_every_command_request_takes_a_token_from_the_accounts_bucket(slack, slack_http, conformant_respx):
    pd_account(conformant_respx)
    add_connection(slack.ctx)
    slack_http.command("schedules", response_url=slack.response_url)
    slack.stub.wait_for("response_url")
    bucket = slack.ctx.pacing.bucket("pagerduty", PD_KEY)
    sent = len(conformant_respx.calls)
    assert sent > 0 and bucket.taken == sent
    # a key being tried at connect time is the same account: the same bucket
    with slack.ctx.trial_provider("pagerduty", "us", PD_KEY) as provider:
        provider.list_schedules()
    assert bucket.taken == len(conformant_respx.calls) > sent
    assert slack.ctx.pacing.bucket("pagerduty", "another key") is not bucket


def test_commands_and_syncs_share_one_bucket(slack):
    from bot.store import Connection, session_scope

    conn_id = add_connection(slack.ctx)
    with session_scope(slack.ctx.engine) as session:
        conn = session.get(Connection, conn_id)
        session.expunge(conn)
    with slack.ctx.provider(conn) as synced, slack.ctx.trial_provider("pagerduty", "us", PD_KEY) as tried:
        assert synced._client.bucket is tried._client.bucket  # type: ignore[attr-defined]


def test_requests_never_exceed_the_per_key_budget_in_any_minute(slack, respx_mock):
    """2,000 requests as fast as one thread can send them, on a virtual clock."""
    from bot.providers import PagerDutyProvider
    from bot.sync.ratelimit import Pacing

    now = [0.0]
    slack.ctx.pacing = Pacing(sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])
    stamps: list[float] = []
    respx_mock.get(f"{PD}/schedules").mock(side_effect=lambda r: stamps.append(now[0]) or httpx.Response(
        200, json={"schedules": [], "limit": 100, "offset": 0, "more": False}))
    with slack.ctx.trial_provider("pagerduty", "us", PD_KEY) as provider:
        for _ in range(2000):
            provider.list_schedules()
    assert len(stamps) == 2000
    worst = max(bisect.bisect_left(stamps, t + 60) - i for i, t in enumerate(stamps))  # stamps are sorted
    assert worst <= PagerDutyProvider.requests_per_minute + 50 < 960


def test_one_pooled_client_per_base_url_closed_at_shutdown(slack):
    ctx = replace(slack.ctx, transport=None, _clients={})
    ctx.__post_init__()
    with (ctx.trial_provider("pagerduty", "us", PD_KEY) as a, ctx.trial_provider("pagerduty", "us", "other") as b,
          ctx.trial_provider("opsgenie", "us", "og-key-1234") as c):
        assert a._client._client is b._client._client is ctx.http(PD)  # type: ignore[attr-defined]
        assert c._client._client is not a._client._client  # type: ignore[attr-defined]
    assert not ctx.http(PD).is_closed  # closing a provider leaves the shared client open
    pooled = ctx.http(PD)
    ctx.close()
    assert pooled.is_closed


def test_socket_mode_commands_are_limited_too(slack, slack_socket):
    from tests.slack.payloads import slash_command

    acks = [slack_socket.send("slash_commands", slash_command("help", response_url=slack.response_url))
            for _ in range(slack.ctx.settings.commands_per_minute + 1)]
    assert acks[:-1] == [None] * slack.ctx.settings.commands_per_minute
    assert acks[-1]["response_type"] == "ephemeral" and "You've run 10 commands" in acks[-1]["text"]
