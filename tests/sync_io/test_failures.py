"""Outages, read-only keys, members without accounts, crashes, assignment failures."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.notify.sync import sync_and_notify
from bot.providers import make_provider
from bot.store import Connection, Destination, ExportedOverride, Schedule, session_scope
from bot.sync.inputs import destination_inputs, destination_key, exported_records
from bot.sync.plan import plan_export
from tests.plugins.world import OG_KEY, PD_KEY, Clock, add_world, destination
from tests.providers.fixtures import og_error, pd_error
from tests.sync_io.fakes import PD, T0, FakeOpsgenie, FakePagerDuty


@pytest.fixture
def env(slack, conformant_respx):
    clock = Clock(T0 + timedelta(days=2, hours=3))
    slack.ctx.clock = clock
    slack.stub.add_channel("C1")  # the schedule's channel; the bot is in it
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    return slack, conformant_respx, clock, client


def test_outage_is_recorded_every_run_and_alerted_once_after_the_threshold(env):
    slack, router, clock, client = env
    fake = FakePagerDuty(router, clock)
    world = add_world(slack.ctx, weeks=4)
    fake.fail = lambda request: httpx.Response(503, json=pd_error(2000, "Internal error"))
    for _ in range(3):  # 0, 20, 40 minutes: recorded, not alerted yet
        d = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]
        assert d.status == "error" and "503" in d.error
        clock.advance(minutes=20)
    assert slack.stub.calls("chat.postMessage") == []
    dest = destination(slack.ctx, world.destination_id)
    assert dest.failing_since == T0 + timedelta(days=2, hours=3) and dest.exported_until is None
    clock.advance(minutes=5)  # 65 minutes of failure
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    posts = slack.stub.bodies("chat.postMessage")
    assert len(posts) == 1 and "has been failing since" in posts[0]["text"] and posts[0]["channel"] == "C1"
    # recovery: exported, the channel hears it once, the failure is cleared
    fake.fail = None
    d = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "ok" and d.created == 5
    posts = slack.stub.bodies("chat.postMessage")
    assert len(posts) == 2 and "works again" in posts[1]["text"]
    dest = destination(slack.ctx, world.destination_id)
    assert dest.failing_since is None and not dest.outage_alerted
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    assert len(slack.stub.calls("chat.postMessage")) == 2


def test_read_only_connection_is_never_written(env):
    slack, router, clock, client = env
    fake = FakePagerDuty(router, clock)
    world = add_world(slack.ctx, weeks=3, can_write=False)
    d = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "read_only" and "read-only" in d.error
    assert fake.log == []


def test_permission_denied_on_write_marks_the_connection_read_only(env):
    slack, router, clock, client = env
    fake = FakeOpsgenie(router, clock)
    world = add_world(slack.ctx, provider="opsgenie", weeks=3, can_write=None)
    fake.fail = lambda r: httpx.Response(403, json=og_error("You are not authorized")) if r.method == "POST" else None
    d = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "read_only" and "read-only" in d.error
    assert len(fake.requests("POST")) == 1, "stops at the first refusal"
    with session_scope(slack.ctx.engine) as session:
        assert session.get(Connection, world.connection_id).can_write is False
    fake.log.clear()
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    assert fake.log == []


def _without_bob_at_opsgenie(slack, router, clock):
    """A PagerDuty-linked schedule (Alice and Bob take turns weekly) also exported to an
    Opsgenie account that knows Alice and Carol, not Bob."""
    pd = FakePagerDuty(router, clock)
    og = FakeOpsgenie(router, clock, users={"og-a": ("Alice Adams", "alice@example.com"),
                                             "og-c": ("Carol Chen", "carol@example.com")})
    world = add_world(slack.ctx, weeks=4)
    with session_scope(slack.ctx.engine) as session:
        conn = Connection(team_id="T1", provider="opsgenie", region="us", name="Acme OG",
                          api_key_encrypted=slack.ctx.keys.encrypt(OG_KEY), key_hint="…cccc", can_write=True)
        session.add(conn)
        session.flush()
        session.add(Destination(team_id="T1", schedule_id=world.schedule_id, connection_id=conn.id,
                                provider_schedule_id=og.schedule_id, provider_schedule_name="Platform (OG)"))
    return pd, og, world


def test_member_without_an_account_at_another_provider_is_reported_and_not_exported(env):
    slack, router, clock, client = env
    pd, og, world = _without_bob_at_opsgenie(slack, router, clock)
    report = sync_and_notify(slack.ctx, world.schedule_id, client=client)
    pd_report, og_report = report.destinations
    assert pd_report.status == "ok" and pd_report.created == 5
    assert og_report.created == 3  # Alice's three shifts
    assert og_report.status == "warning"  # Bob's first shift starts in 5 days
    assert "Bob Brown (bob@example.com) has no Opsgenie account with that email (2 shifts not exported)" in og_report.error
    assert [o.user_id for o in og.live()] == ["og-a", "og-a", "og-a"]
    assert len(og.requests("GET", "/v2/schedules")) >= 1  # users listed once to fill the cache
    # the mark passes over Bob's shifts (their period's first export is done), up to Alice's last
    dest = destination(slack.ctx, og_report.destination_id)
    assert dest.exported_until == T0 + timedelta(days=35)
    assert pd.log
    # three days before Bob's shift it becomes an error
    clock.advance(days=3)
    og_report = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[1]
    assert og_report.status == "error"
    # Bob gets an account: his shifts are exported as changed ones, and the status is clear again
    og.users["og-b"] = ("Bob Brown", "bob@example.com")
    og.sim.rotation = replace(og.sim.rotation, users=(*og.sim.rotation.users, "og-b"))  # Opsgenie lists them
    og_report = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[1]
    assert (og_report.created, og_report.deleted, og_report.status, og_report.error) == (2, 0, "ok", None)
    assert [o.user_id for o in og.live()] == ["og-a", "og-b", "og-a", "og-b", "og-a"]


def test_crash_between_provider_call_and_commit_converges_by_adoption(env):
    slack, router, clock, client = env
    fake = FakePagerDuty(router, clock)
    world = add_world(slack.ctx, weeks=4)
    sync_and_notify(slack.ctx, world.schedule_id, client=client, dry_run=True)  # extend (rolled back)
    # a first run that made its provider call and died before recording anything
    now, horizon_end = clock.now, clock.now + timedelta(days=28)
    with session_scope(slack.ctx.engine) as session:
        sched = session.get(Schedule, world.schedule_id)
        dest = session.get(Destination, world.destination_id)
        inputs = destination_inputs(session, sched, dest, now)
        plan = plan_export(inputs.shifts, exported_records(session, dest.id), [], None, now, horizon_end,
                           destination_key=destination_key(dest))
    provider = make_provider("pagerduty", "us", PD_KEY, client=slack.ctx.http(PD),
                             sleep=lambda s: None)
    provider.create_overrides(fake.schedule_id, plan.requests)
    assert len(fake.live()) == 4
    fake.log.clear()
    d = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.adopted == 4 and d.created == 1  # the fifth shift was added by the extension since
    assert len(json.loads(fake.requests("POST")[0].content)["overrides"]) == 1
    assert len(fake.live()) == 5 and fake.requests("DELETE") == []
    with session_scope(slack.ctx.engine) as session:
        assert len(session.exec(select(ExportedOverride)).all()) == 5


def test_failing_assignment_extension_still_exports_existing_shifts(env, monkeypatch):
    slack, router, clock, client = env
    import bot.sync.assignments as assignments

    def broken(*args, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(assignments, "extend_assignments", broken)
    fake = FakePagerDuty(router, clock)
    world = add_world(slack.ctx, weeks=3)
    report = sync_and_notify(slack.ctx, world.schedule_id, client=client)
    assert report.assign_error and "RuntimeError" in report.assign_error
    assert report.destinations[0].created == 3
    assert report.schedule_name == "Platform primary"
    assert len(fake.live()) == 3


def test_a_member_without_an_account_never_gets_hand_edits_on_later_exported_shifts_deleted(env):
    slack, router, clock, client = env
    _, og, world = _without_bob_at_opsgenie(slack, router, clock)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)  # Alice's weeks 0, 2, 4 exported
    # Carol takes a day of Alice's third week by hand, in a period the bot has exported to
    hand = og.hand_override("og-c", T0 + timedelta(days=15), T0 + timedelta(days=16))
    covers_bob = og.hand_override("og-c", T0 + timedelta(days=7), T0 + timedelta(days=14))  # Bob's week
    clock.advance(hours=1)

    og_report = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[1]

    assert hand in og.sim.overrides, "the hand edit was deleted"
    assert covers_bob in og.sim.overrides
    assert og.requests("DELETE") == []
    assert og.who(T0 + timedelta(days=15, hours=12)) == "og-c"
    assert (og_report.created, og_report.deleted) == (0, 0)
    # Bob's shifts are still named as not exported
    assert og_report.status == "warning"
    assert "Bob Brown (bob@example.com) has no Opsgenie account with that email (2 shifts not exported)" in og_report.error
