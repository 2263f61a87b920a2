"""The export guard (`bot.sync.access.export_refusal`): a key is written to only when it may write."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from slack_sdk import WebClient

from bot.store import Connection, session_scope
from bot.sync.engine import sync_schedule
from tests.providers.fixtures import og_error
from tests.sync_io.fakes import T0, FakeOpsgenie
from tests.sync_io.world import Clock, add_world


@pytest.fixture
def env(slack, conformant_respx):
    clock = Clock(T0 + timedelta(days=2, hours=3))
    slack.ctx.clock = clock
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    return slack, conformant_respx, clock, client


def can_write(slack, connection_id: int) -> bool | None:
    with session_scope(slack.ctx.engine) as session:
        return session.get(Connection, connection_id).can_write


def probes(fake: FakeOpsgenie) -> list[httpx.Request]:
    return [r for r in fake.writes() if "oncall-bot-write-check" in (r.content.decode() + r.url.path)]


def test_read_only_opsgenie_connection_sends_no_write_in_a_sync(env):
    slack, router, clock, client = env
    fake = FakeOpsgenie(router, clock)
    world = add_world(slack.ctx, provider="opsgenie", weeks=3, can_write=False)
    d = sync_schedule(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "read_only" and "read-only" in d.error
    assert fake.writes() == []
    assert fake.live() == []


def test_unknown_opsgenie_write_access_is_probed_before_the_first_export(env):
    slack, router, clock, client = env
    fake = FakeOpsgenie(router, clock)
    world = add_world(slack.ctx, provider="opsgenie", weeks=3, can_write=None)
    d = sync_schedule(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "ok" and d.created > 0
    first_two = fake.writes()[:2]
    assert [r.method for r in first_two] == ["POST", "DELETE"] and len(probes(fake)) == 2
    assert can_write(slack, world.connection_id) is True
    fake.log.clear()
    sync_schedule(slack.ctx, world.schedule_id, client=client)
    assert probes(fake) == []  # known now: not probed again


def test_unknown_write_access_found_read_only_sends_only_the_probe(env):
    slack, router, clock, client = env
    fake = FakeOpsgenie(router, clock)
    fake.fail = lambda r: httpx.Response(403, json=og_error("You are not authorized")) if r.method == "POST" else None
    world = add_world(slack.ctx, provider="opsgenie", weeks=3, can_write=None)
    d = sync_schedule(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "read_only" and "read-only" in d.error
    assert fake.writes() == probes(fake) and len(probes(fake)) == 1
    assert can_write(slack, world.connection_id) is False


def test_write_access_still_unknown_writes_nothing_and_says_why(env):
    slack, router, clock, client = env
    fake = FakeOpsgenie(router, clock)
    fake.fail = lambda r: httpx.Response(503) if r.method == "POST" else None
    world = add_world(slack.ctx, provider="opsgenie", weeks=3, can_write=None)
    d = sync_schedule(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "error" and "could not be checked" in d.error and "503" in d.error
    assert fake.writes() == probes(fake) and fake.live() == []
    assert can_write(slack, world.connection_id) is None


def test_a_failed_check_does_not_forget_known_write_access(env):
    from bot.providers import make_provider
    from bot.sync.access import probe_write

    slack, router, clock, client = env
    fake = FakeOpsgenie(router, clock)
    fake.fail = lambda r: httpx.Response(503) if r.method == "POST" else None
    world = add_world(slack.ctx, provider="opsgenie", weeks=1, can_write=True)
    provider = make_provider("opsgenie", "us", "og-key-0123456789", client=slack.ctx.http_client, sleep=lambda s: None)
    check = probe_write(slack.ctx.engine, world.connection_id, provider, fake.schedule_id, "Platform")
    assert check.can_write is None and "503" in check.note
    assert can_write(slack, world.connection_id) is True
