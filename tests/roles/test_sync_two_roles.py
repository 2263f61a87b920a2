"""A two-role schedule end to end on the stateful provider fakes (`conformant_respx`): a manager turns
the secondary role on (`/oncall pattern`), an admin picks a secondary destination (edit modal), and a
sync exports primary shifts to the primary provider schedule and secondary shifts to the secondary
one only; nobody holds both roles at once, and a second run writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import CallbackId, FormBlock
from bot.notify.sync import sync_and_notify
from bot.store import Member, session_scope
from tests.plugins.world import Clock, add_world, shifts
from tests.roles.helpers import assert_nobody_holds_both
from tests.slack.payloads import conversation, multi, number, users, view_submission
from tests.sync_io.fakes import T0, FakeOpsgenie, FakePagerDuty

NOW = T0 + timedelta(days=2, hours=3)
IDS = {"pagerduty": ("PSCHED1", "PSCHED2"), "opsgenie": ("og-sched-1", "og-sched-2")}


@pytest.fixture(params=["pagerduty", "opsgenie"])
def two_roles(request, slack, slack_http, conformant_respx):
    kind = request.param
    clock = Clock(NOW)
    slack.ctx.clock = clock
    primary_id, secondary_id = IDS[kind]
    fake_cls = FakePagerDuty if kind == "pagerduty" else FakeOpsgenie
    primary = fake_cls(conformant_respx, clock, schedule_id=primary_id)
    secondary = fake_cls(conformant_respx, clock, schedule_id=secondary_id)
    slack.stub.add_user("U1", name="alice", email="alice@example.com", is_admin=True)
    for uid, name in (("U2", "bob"), ("U3", "carol")):
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com")
    slack.stub.add_channel("C1", is_member=True)
    world = add_world(slack.ctx, provider=kind, weeks=0, horizon_days=7, provider_schedule_id=primary_id)
    return slack, world, primary, secondary, (primary_id, secondary_id)


def expected(ctx, schedule_id: int, role: str) -> list[tuple]:
    """(start as exported, end, provider user) of the role's live shifts."""
    with session_scope(ctx.engine) as session:
        user_of = {m.id: m.source_user_id for m in session.exec(select(Member))}
    now = ctx.clock()
    return [(max(s.start, now), s.end, user_of[s.member_id])
            for s in shifts(ctx, schedule_id) if s.role == role and s.end > now]


def live(fake) -> list[tuple]:
    return [(o.start, o.end, o.user_id) for o in fake.live()]


def test_each_role_goes_to_its_own_destination(two_roles, slack_http):
    slack, world, primary, secondary, (primary_id, secondary_id) = two_roles
    ctx = slack.ctx
    slack_http.command("pattern Platform primary roles primary,secondary", user_id="U1",
                       response_url=slack.response_url)
    assert "roles primary → primary, secondary" in json.dumps(slack.stub.wait_for("response_url")[-1].body, ensure_ascii=False)
    resp = slack_http.interact(view_submission(CallbackId.EDIT, {
        FormBlock.EDIT_HORIZON: {FormBlock.INPUT: number(7)},
        FormBlock.EDIT_CHANNEL: {FormBlock.INPUT: conversation("C1")},
        FormBlock.EDIT_MEMBERS: {FormBlock.INPUT: users(["U1", "U2", "U3"])},
        FormBlock.EDIT_DESTINATIONS: {FormBlock.INPUT: multi([(f"{world.connection_id}:{primary_id}", "Primary")])},
        FormBlock.EDIT_SECONDARY: {FormBlock.INPUT: multi([(f"{world.connection_id}:{secondary_id}", "Backup")])},
    }, user_id="U1", private_metadata=json.dumps({"c": "C1", "r": slack.response_url, "s": world.schedule_id})))
    assert resp.status == 200 and not resp.body

    rows = shifts(ctx, world.schedule_id)
    assert_nobody_holds_both(rows)
    want_primary, want_secondary = (expected(ctx, world.schedule_id, r) for r in ("primary", "secondary"))
    assert len(want_primary) >= 7 and len(want_secondary) == len(want_primary)

    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    report = sync_and_notify(ctx, world.schedule_id, client=client)
    assert [d.status for d in report.destinations] == ["ok", "ok"], report
    assert live(primary) == want_primary
    assert live(secondary) == want_secondary

    primary.log.clear()
    secondary.log.clear()
    sync_and_notify(ctx, world.schedule_id, client=client)
    assert primary.writes() == [] and secondary.writes() == [], "a second run changes nothing"
