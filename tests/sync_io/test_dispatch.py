"""`/oncall sync`, `/oncall plan`, `/oncall drift` and the "Keep provider version" button, through
signed requests into the app (listeners inline), PagerDuty on respx with conformance."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import SyncButtonId
from bot.notify.sync import sync_and_notify
from bot.store import AuditEvent, DriftAlert, ExportedOverride, Schedule, Shift, session_scope
from bot.sync.engine import sync_schedule
from tests.plugins.world import Clock, add_world, destination, shifts
from tests.slack.payloads import block_actions
from tests.sync_io.fakes import T0, FakePagerDuty


@pytest.fixture
def env(slack, slack_http, conformant_respx):
    clock = Clock(T0 + timedelta(days=2, hours=3))
    slack.ctx.clock = clock
    fake = FakePagerDuty(conformant_respx, clock)
    slack.stub.add_user("U1", name="alice", email="alice@example.com")
    slack.stub.add_user("U3", name="carol", email="carol@example.com")
    slack.stub.add_user("UADMIN", name="boss", email="boss@example.com", is_admin=True)
    slack.stub.add_channel("C1")  # the schedule's channel; the bot is in it
    world = add_world(slack.ctx, weeks=4)
    return slack, slack_http, fake, world, clock


def _answers(stub) -> list[dict]:
    return stub.bodies("response_url")


def test_sync_command_replies_after_ack_with_a_summary(env):
    slack, http, fake, world, _ = env
    resp = http.command("sync Platform", response_url=slack.stub.response_url("cmd"))
    assert resp.status == 200
    answers = _answers(slack.stub)
    assert answers[0]["text"].startswith(":hourglass_flowing_sand: Syncing Platform primary")
    summary = json.dumps(answers[-1]["blocks"])
    assert "created 5, deleted 0, adopted 0, unchanged 0" in summary and "latest exported" in summary
    assert len(fake.requests("POST")) == 1
    assert destination(slack.ctx, world.destination_id).exported_until == T0 + timedelta(days=35)


def test_sync_command_without_a_name_syncs_the_channels_schedules(env):
    slack, http, fake, _, _ = env
    http.command("sync", response_url=slack.stub.response_url("cmd"), channel_id="C1")
    assert "Platform primary" in json.dumps(_answers(slack.stub)[-1]["blocks"])


def test_sync_command_unknown_schedule_is_a_user_error(env):
    slack, http, fake, _, _ = env
    http.command("sync Nope", response_url=slack.stub.response_url("cmd"))
    assert "No schedule is called `Nope`" in _answers(slack.stub)[-1]["text"]
    assert fake.log == []


def test_plan_command_is_a_dry_run_that_writes_nothing(env):
    slack, http, fake, world, _ = env
    with session_scope(slack.ctx.engine) as session:
        before = len(session.exec(select(Shift)).all())
    http.command("plan Platform primary", response_url=slack.stub.response_url("cmd"))
    text = json.dumps(_answers(slack.stub)[-1]["blocks"])
    assert "would create 5, delete 0" in text and "Dry run: nothing was written" in text
    assert "create <@U1>" in text and "create <@U2>" in text
    assert fake.writes() == []
    dest = destination(slack.ctx, world.destination_id)
    assert dest.exported_until is None and dest.last_sync_at is None
    with session_scope(slack.ctx.engine) as session:
        assert session.exec(select(ExportedOverride)).all() == []
        assert len(session.exec(select(Shift)).all()) == before, "extended shifts were rolled back"


def test_plan_after_a_hand_edit_beyond_the_mark_shows_the_delete(env):
    slack, http, fake, world, clock = env
    sync_schedule(slack.ctx, world.schedule_id)
    clock.advance(days=7)
    last = shifts(slack.ctx, world.schedule_id)[-1]
    fake.hand_override("PU3", last.end, last.end + timedelta(days=2))  # beyond the mark: the bot wins there
    fake.log.clear()
    http.command("plan", response_url=slack.stub.response_url("cmd"))
    text = json.dumps(_answers(slack.stub)[-1]["blocks"])
    assert "would create 1, delete 1" in text and "pre-existing" in text
    assert fake.writes() == []


def test_drift_mode_command(env):
    slack, http, _, world, _ = env
    http.command("drift Platform", response_url=slack.stub.response_url("cmd"), user_id="U3")
    assert "is `alert`" in _answers(slack.stub)[-1]["text"]
    http.command("drift Platform off", response_url=slack.stub.response_url("cmd"), user_id="U3")
    assert "Only this schedule's managers" in _answers(slack.stub)[-1]["text"]
    http.command("drift Platform auto", response_url=slack.stub.response_url("cmd"), user_id="U1")
    assert "is now `auto`" in _answers(slack.stub)[-1]["text"]
    with session_scope(slack.ctx.engine) as session:
        assert session.get(Schedule, world.schedule_id).drift_mode == "auto"
    http.command("drift Platform sometimes", response_url=slack.stub.response_url("cmd"), user_id="U1")
    assert "is `auto`" not in _answers(slack.stub)[-1]["text"]


def _drift(slack, fake, world, who="PU3", index=1):
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    s = shifts(slack.ctx, world.schedule_id)[index]
    fake.hand_override(who, s.start, s.end)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    with session_scope(slack.ctx.engine) as session:
        return session.exec(select(DriftAlert)).one(), s, client


def test_keep_button_acknowledges_and_records_the_provider_person(env):
    slack, http, fake, world, _ = env
    alert, shift, client = _drift(slack, fake, world)
    # a non-manager, non-admin is refused
    http.interact(block_actions(SyncButtonId.DRIFT_KEEP, str(alert.id), user_id="U3",
                                response_url=slack.stub.response_url("btn")))
    assert "managers" in _answers(slack.stub)[-1]["text"]
    with session_scope(slack.ctx.engine) as session:
        assert session.get(DriftAlert, alert.id).status == "open"
    # an admin (not a manager) may
    fake.log.clear()
    http.interact(block_actions(SyncButtonId.DRIFT_KEEP, str(alert.id), user_id="UADMIN",
                                response_url=slack.stub.response_url("btn")))
    assert "Kept the provider's version" in _answers(slack.stub)[-1]["text"]
    assert fake.writes() == []
    with session_scope(slack.ctx.engine) as session:
        row = session.get(Shift, shift.id)
        assert row.member_id == world.member_ids[2] and row.version == shift.version, "Carol, no version bump"
        assert session.get(DriftAlert, alert.id).status == "kept"
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "drift.keep")).one()
        assert audit.actor == "UADMIN"
    update = slack.stub.bodies("chat.update")[-1]
    assert "keeps its version" in update["text"]
    # not alerted again, nothing re-exported
    posts = len(slack.stub.calls("chat.postMessage"))
    fake.log.clear()
    d = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.drifting == 0 and fake.writes() == []
    assert len(slack.stub.calls("chat.postMessage")) == posts


def test_partial_hand_edit_kept_is_acknowledged_without_reassigning(env):
    slack, http, fake, world, _ = env
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    s = shifts(slack.ctx, world.schedule_id)[2]
    fake.hand_override("PU3", s.start + timedelta(days=1), s.start + timedelta(days=2))
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    with session_scope(slack.ctx.engine) as session:
        alert = session.exec(select(DriftAlert)).one()
    http.interact(block_actions(SyncButtonId.DRIFT_KEEP, str(alert.id), user_id="U1",
                                response_url=slack.stub.response_url("btn")))
    with session_scope(slack.ctx.engine) as session:
        assert session.get(Shift, s.id).member_id == s.member_id
    posts = len(slack.stub.calls("chat.postMessage"))
    assert sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0].drifting == 0
    assert len(slack.stub.calls("chat.postMessage")) == posts
    # a different drift later is alerted again
    other = shifts(slack.ctx, world.schedule_id)[3]
    fake.hand_override("PU3", other.start, other.start + timedelta(hours=5))
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    assert len(slack.stub.calls("chat.postMessage")) == posts + 1


def test_changed_drift_updates_the_message_and_resolves_when_gone(env):
    slack, _, fake, world, _ = env
    alert, shift, client = _drift(slack, fake, world)
    other = shifts(slack.ctx, world.schedule_id)[2]
    hand = fake.hand_override("PU3", other.start, other.start + timedelta(hours=3))
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    assert len(slack.stub.calls("chat.postMessage")) == 1
    assert len(slack.stub.calls("chat.update")) == 1
    assert "2 shifts" in slack.stub.bodies("chat.update")[-1]["text"]
    # both hand edits removed by hand: the drift is gone, the alert says so
    for oid in [o.id for o in fake.live() if o.by_hand]:
        del fake.sim.overrides[oid]
    assert hand
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    assert "is gone" in slack.stub.bodies("chat.update")[-1]["text"]
    with session_scope(slack.ctx.engine) as session:
        assert session.get(DriftAlert, alert.id).status == "resolved"


def test_auto_mode_reapplies_without_alerting(env):
    slack, _, fake, world, _ = env
    with session_scope(slack.ctx.engine) as session:
        session.get(Schedule, world.schedule_id).drift_mode = "auto"
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    s = shifts(slack.ctx, world.schedule_id)[1]
    fake.hand_override("PU3", s.start, s.end)
    fake.log.clear()
    d = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert (d.created, d.deleted) == (1, 1)
    assert fake.who(s.start + timedelta(hours=1)) == "PU2"
    assert slack.stub.calls("chat.postMessage") == []


# ---------------------------------------------------------------- who may sync and plan (README)


def test_sync_is_for_managers_and_admins_plan_for_everyone(env):
    slack, http, fake, world, _ = env
    http.command("sync Platform", response_url=slack.stub.response_url("cmd"), user_id="U3")
    refusal = _answers(slack.stub)[-1]["text"]
    assert "Only this schedule's managers, workspace admins" in refusal and "/oncall sync" in refusal
    assert fake.log == [], "a refused sync asks the provider nothing"
    http.command("sync", response_url=slack.stub.response_url("cmd"), user_id="U3", channel_id="C1")
    assert "Only this schedule's managers" in _answers(slack.stub)[-1]["text"] and fake.log == []
    # a plain member may see the dry run
    http.command("plan Platform", response_url=slack.stub.response_url("cmd"), user_id="U3")
    assert "would create 5, delete 0" in json.dumps(_answers(slack.stub)[-1]["blocks"])
    assert fake.writes() == []
    # an admin who does not manage the schedule may export it
    http.command("sync Platform", response_url=slack.stub.response_url("cmd"), user_id="UADMIN")
    assert "created 5" in json.dumps(_answers(slack.stub)[-1]["blocks"])
    assert destination(slack.ctx, world.destination_id).exported_until == T0 + timedelta(days=35)
