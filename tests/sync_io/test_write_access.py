"""The export guard (`bot.sync.access.export_refusal`): a key is written to only when it may write."""

from __future__ import annotations

import httpx

from bot.notify.sync import sync_and_notify
from bot.store import Connection, session_scope
from tests.plugins.world import add_world
from tests.providers.fixtures import og_error
from tests.sync_io import test_failures
from tests.sync_io.fakes import OG, FakeOpsgenie

env = test_failures.env  # the fixture: (Slack env, respx router, clock, Slack client)


def can_write(slack, connection_id: int) -> bool | None:
    with session_scope(slack.ctx.engine) as session:
        return session.get(Connection, connection_id).can_write


def opsgenie(env, can_write: bool | None, fail_posts: int | None = None, weeks: int = 3):
    """A linked Opsgenie schedule on the fake; `fail_posts`: the status every POST answers."""
    slack, router, clock, client = env
    fake = FakeOpsgenie(router, clock)
    if fail_posts is not None:
        body = og_error("You are not authorized") if fail_posts == 403 else None
        fake.fail = lambda r: httpx.Response(fail_posts, json=body) if r.method == "POST" else None
    return fake, add_world(slack.ctx, provider="opsgenie", weeks=weeks, can_write=can_write)


def sync(env, world):
    slack, _, _, client = env
    return sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]


def probes(fake: FakeOpsgenie) -> list[httpx.Request]:
    return [r for r in fake.writes() if "oncall-bot-write-check" in (r.content.decode() + r.url.path)]


def test_read_only_opsgenie_connection_sends_no_write_in_a_sync(env):
    fake, world = opsgenie(env, can_write=False)
    d = sync(env, world)
    assert d.status == "read_only" and "read-only" in d.error
    assert fake.writes() == []
    assert fake.live() == []


def test_unknown_opsgenie_write_access_is_probed_before_the_first_export(env):
    fake, world = opsgenie(env, can_write=None)
    d = sync(env, world)
    assert d.status == "ok" and d.created > 0
    first_two = fake.writes()[:2]
    assert [r.method for r in first_two] == ["POST", "DELETE"] and len(probes(fake)) == 2
    assert can_write(env[0], world.connection_id) is True
    fake.log.clear()
    sync(env, world)
    assert probes(fake) == []  # known now: not probed again


def test_unknown_write_access_found_read_only_sends_only_the_probe(env):
    fake, world = opsgenie(env, can_write=None, fail_posts=403)
    d = sync(env, world)
    assert d.status == "read_only" and "read-only" in d.error
    assert fake.writes() == probes(fake) and len(probes(fake)) == 1
    assert can_write(env[0], world.connection_id) is False


def test_write_access_still_unknown_writes_nothing_and_says_why(env):
    fake, world = opsgenie(env, can_write=None, fail_posts=503)
    d = sync(env, world)
    assert d.status == "error" and "could not be checked" in d.error and "503" in d.error
    assert fake.writes() == probes(fake) and fake.live() == []
    assert can_write(env[0], world.connection_id) is None


def test_a_failed_check_does_not_forget_known_write_access(env):
    from bot.providers import make_provider
    from bot.sync.access import probe_write

    fake, world = opsgenie(env, can_write=True, fail_posts=503, weeks=1)
    ctx = env[0].ctx
    provider = make_provider("opsgenie", "us", "og-key-0123456789", client=ctx.http(OG),
                             sleep=lambda s: None)
    check = probe_write(ctx.engine, world.connection_id, provider, fake.schedule_id, "Platform")
    assert check.can_write is None and "503" in check.note
    assert can_write(env[0], world.connection_id) is True
