"""The whole story on PagerDuty, Opsgenie and JSM (respx + conformance) with the Slack stub:

first export → hand edit before the mark (kept, alerted once) → "Re-apply" (non-manager refused)
→ swap-like version bump (only that override touched) → horizon extension over simulated days.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import SyncButtonId
from bot.notify.sync import sync_and_notify
from bot.store import AuditEvent, DriftAlert, ExportedOverride, Shift, session_scope
from tests.plugins.world import Clock, add_world, destination, shifts
from tests.slack.payloads import block_actions
from tests.sync_io.fakes import JSM_CLOUD, T0, FakeJsm, FakeOpsgenie, FakePagerDuty

NOW = T0 + timedelta(days=2, hours=3)


FAKES = {"pagerduty": FakePagerDuty, "opsgenie": FakeOpsgenie, "jsm": FakeJsm}
PREFIX = {"pagerduty": "", "opsgenie": "/v2", "jsm": f"/jsm/ops/api/{JSM_CLOUD}/v1"}


@pytest.fixture(params=list(FAKES))
def story(request, slack, slack_http, conformant_respx):
    clock = Clock(NOW)
    slack.ctx.clock = clock
    fake_cls = FAKES[request.param]
    fake = fake_cls(conformant_respx, clock)
    for uid, name in (("U1", "alice"), ("U2", "bob"), ("U3", "carol")):
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com")
    slack.stub.add_channel("C1")  # the schedule's channel; the bot is in it
    world = add_world(slack.ctx, provider=request.param, weeks=5)
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    return request.param, fake, world, clock, client


def _users(fake) -> list[str]:
    return list(fake.users)


def _posted_overrides(fake) -> list[dict]:
    out = []
    for r in fake.requests("POST"):
        body = json.loads(r.content)
        out += body.get("overrides", [body])
    return out


def test_export_drift_reapply_bump_and_extension(story, slack, slack_http):
    kind, fake, world, clock, client = story
    ctx = slack.ctx
    alice, bob, carol = _users(fake)
    rows = shifts(ctx, world.schedule_id)

    # 1. first export: one override per shift; PagerDuty in one bulk request, Opsgenie one per override
    d = sync_and_notify(ctx, world.schedule_id, client=client).destinations[0]
    assert (d.created, d.deleted, d.status) == (5, 0, "ok")
    assert len(fake.requests("POST")) == (1 if kind == "pagerduty" else 5)
    assert destination(ctx, world.destination_id).exported_until == rows[-1].end
    assert [o.user_id for o in fake.live()] == [alice, bob, alice, bob, alice]

    # 2. a hand edit before the mark: Carol takes Bob's second shift, whole
    second = rows[1]
    fake.hand_override(carol, second.start, second.end)
    fake.log.clear()
    d = sync_and_notify(ctx, world.schedule_id, client=client).destinations[0]
    assert fake.writes() == [], "a hand edit before the mark is kept"
    assert d.drifting == 1
    posted = slack.stub.bodies("chat.postMessage")
    assert len(posted) == 1 and posted[0]["channel"] == "C1"
    text = json.dumps(posted[0]["blocks"])
    assert "<@U2>" in text and "<@U3>" in text and "hand-made override" in text
    assert "Mon 9 Nov 10:00" in text, "dates on the schedule's wall clock (Europe/Berlin)"
    with session_scope(ctx.engine) as session:
        alert = session.exec(select(DriftAlert)).one()
    assert alert.status == "open" and alert.message_ts

    # 3. the next run does not alert the same drift again
    sync_and_notify(ctx, world.schedule_id, client=client)
    assert len(slack.stub.calls("chat.postMessage")) == 1
    assert slack.stub.calls("chat.update") == []

    # 4. Re-apply: refused for someone who is neither manager nor admin …
    fake.log.clear()
    slack_http.interact(block_actions(SyncButtonId.DRIFT_REAPPLY, str(alert.id), user_id="U3",
                                      response_url=slack.stub.response_url("btn")))
    refusal = slack.stub.bodies("response_url")[-1]
    assert "managers" in refusal["text"] and refusal["response_type"] == "ephemeral"
    assert fake.writes() == []
    # … done for the manager: just that shift re-exported, newest wins again
    slack_http.interact(block_actions(SyncButtonId.DRIFT_REAPPLY, str(alert.id), user_id="U1",
                                      response_url=slack.stub.response_url("btn")))
    created = _posted_overrides(fake)
    assert len(created) == 1 and len(fake.requests("DELETE")) == 1
    assert fake.who(second.start + timedelta(days=3)) == bob
    assert slack.stub.calls("chat.update"), "the alert message shows it was re-applied"
    with session_scope(ctx.engine) as session:
        assert session.get(Shift, second.id).version == 2
        assert session.get(DriftAlert, alert.id).status == "reapplied"
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "drift.reapply")).first()
    fake.log.clear()
    d = sync_and_notify(ctx, world.schedule_id, client=client).destinations[0]
    assert fake.writes() == [] and d.drifting == 0
    assert len(slack.stub.calls("chat.postMessage")) == 1

    # 5. a swap-like change: the fourth shift goes to Carol (version bump); only that override moves
    fourth = rows[3]
    with session_scope(ctx.engine) as session:
        row = session.get(Shift, fourth.id)
        row.member_id, row.version = world.member_ids[2], row.version + 1
        before = {o.override_id for o in session.exec(select(ExportedOverride))}
    fake.log.clear()
    d = sync_and_notify(ctx, world.schedule_id, client=client, only_shift_ids=[fourth.id]).destinations[0]
    assert (d.created, d.deleted) == (1, 1)
    created = _posted_overrides(fake)
    assert len(created) == 1
    start_key = "start" if kind == "pagerduty" else "startDate"
    assert created[0][start_key] == fourth.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    deletes = fake.requests("DELETE")
    assert len(deletes) == 1
    with session_scope(ctx.engine) as session:
        old = [o.override_id for o in session.exec(select(ExportedOverride))]
    gone = before - set(old)
    assert len(gone) == 1 and deletes[0].url.path.endswith("/" + gone.pop())
    assert fake.who(fourth.start + timedelta(hours=1)) == carol
    # the exact provider traffic: list overrides (PagerDuty: one schedule read whose override
    # layer is the records: the re-applied hand edit lies under the bot's newer override), one
    # create, one delete. PagerDuty: what pages follows from the bot's overrides alone. Opsgenie
    # lists the hand edit under them, so what pages is read back from the timeline
    calls = [(r.method, r.url.path.rsplit("/", 1)[-1] if r.method == "DELETE" else r.url.path) for r in fake.log]
    sid = fake.schedule_id
    prefix = PREFIX[kind]
    pd = kind == "pagerduty"
    listed = f"{prefix}/schedules/{sid}" + ("" if pd else "/overrides")
    assert [c[0] for c in calls] == ["GET", "POST", "DELETE"] + ([] if pd else ["GET"])
    assert calls[0][1] == listed and calls[1][1] == f"{prefix}/schedules/{sid}/overrides"
    assert pd or calls[3][1] == f"{prefix}/schedules/{sid}/timeline"

    # 6. days pass: assignments grow to the horizon and only the new shifts are exported
    mark = destination(ctx, world.destination_id).exported_until
    clock.advance(days=9)
    fake.log.clear()
    report = sync_and_notify(ctx, world.schedule_id, client=client)
    d = report.destinations[0]
    new = [s for s in shifts(ctx, world.schedule_id) if s.start >= mark]
    assert report.assigned == len(new) >= 1
    assert (d.created, d.deleted) == (len(new), 0)
    assert [o[start_key] for o in _posted_overrides(fake)] == [
        s.start.strftime("%Y-%m-%dT%H:%M:%SZ") for s in new]
    assert destination(ctx, world.destination_id).exported_until == new[-1].end
    assert d.status == "ok"
    bots = [o for o in fake.live() if not o.by_hand]
    assert len({(o.start, o.end) for o in bots}) == len(bots), "no duplicate overrides"
    user_of = dict(zip(world.member_ids, fake.users, strict=True))
    future = [s for s in shifts(ctx, world.schedule_id) if s.start > clock.now]
    assert all(fake.who(s.start + timedelta(hours=1)) == user_of[s.member_id] for s in future)
