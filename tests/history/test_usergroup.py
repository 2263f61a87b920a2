"""The on-call user group: it follows the current holder (through a swap and at each handoff), only
calls Slack when the set changed, is created or taken over from `/oncall edit`, and says clearly why
when the workspace lets only admins manage user groups. Slack is the stub (usergroups.* with Slack's
rules: bot/sandbox/slack_usergroups.py), PagerDuty the fake on respx."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import CallbackId, FormBlock, SwapButtonId, SyncButtonId
from bot.notify import usergroup
from bot.notify.sync import sync_and_notify, sync_now
from bot.services import oncall_group
from bot.store import DriftAlert, Schedule, Shift, session_scope
from bot.store.shifts import reassign_shift
from bot.sync.engine import sync_schedule
from tests.plugins.world import Clock, add_world, install_fake_assignments
from tests.slack.blockkit import assert_view
from tests.slack.payloads import block_actions, conversation, multi, number, text, users, view_submission
from tests.swaps.conftest import NOW
from tests.sync_io.fakes import T0, FakePagerDuty


@pytest.fixture(autouse=True)
def fake_assignments(monkeypatch):
    """Full syncs extend assignments with the sync tests' deterministic stand-in (as tests/swaps)."""
    install_fake_assignments(monkeypatch)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)  # Wednesday of week 1: Alice (U1) on call, Bob next (Nov 9), Alice again (Nov 16)


@pytest.fixture
def pagerduty(conformant_respx, clock) -> FakePagerDuty:
    return FakePagerDuty(conformant_respx, clock)


@pytest.fixture
def env(slack, slack_http, clock, pagerduty):
    slack.ctx.clock = clock
    for uid, name, admin in (("U1", "alice", True), ("U2", "bob", False), ("U3", "carol", False),
                             ("UMGR", "boss", False)):
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com", is_admin=admin)
    slack.stub.add_channel("C1")
    world = add_world(slack.ctx, weeks=5, managers="UMGR")
    sync_schedule(slack.ctx, world.schedule_id)
    return slack, slack_http, world, clock


def client(slack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.stub.api_url)


def group(slack) -> dict:
    found = slack.stub.usergroups.by_handle("platform-oncall")
    assert found is not None
    return found


def updates(slack) -> list[str]:
    return [b["users"] for b in slack.stub.bodies("usergroups.users.update")]


def status(slack, schedule_id: int) -> str:
    with session_scope(slack.ctx.engine) as s:
        return s.get(Schedule, schedule_id).usergroup_status or ""


def pick(slack, world, handle: str = "platform-oncall") -> str:
    assert oncall_group.choose(slack.ctx, "T1", world.schedule_id, handle, "U1")
    return usergroup.set_up(slack.ctx, client(slack), world.schedule_id)


def last_answer(stub) -> dict:
    return stub.bodies("response_url")[-1]


def button(payload: dict, action_id: str) -> dict:
    return next(el for b in payload["blocks"] for el in b.get("elements", []) if el.get("action_id") == action_id)


def press(http, stub, payload: dict, action_id: str, user: str, channel: str = "C1"):
    el = button(payload, action_id)
    return http.interact(block_actions(action_id, el["value"], user_id=user, channel_id=channel,
                                       response_url=stub.response_url(f"{user}-{action_id}")))


def test_the_group_follows_the_current_holder_through_a_swap_and_the_handoffs(env):
    slack, http, world, clock = env
    stub = slack.stub
    answer = pick(slack, world)
    assert answer.startswith("ok: @platform-oncall is <@U1>")
    assert group(slack)["users"] == ["U1"] and updates(slack) == ["U1"]

    # Alice and Bob swap Bob's Nov 9 week for Alice's Nov 16 week: Alice stays on call now
    http.command("swap <@U1|alice> <@U2|bob>", user_id="U1", response_url=stub.response_url("cmd"))
    press(http, stub, last_answer(stub), SwapButtonId.CONFIRM, "U1")
    ask = [b for b in stub.bodies("chat.postMessage") if b.get("channel") == "U2"][-1]
    press(http, stub, ask, SwapButtonId.ACCEPT, "U2", channel="D2")
    assert updates(slack) == ["U1"], "the current holder did not change: no call to Slack"

    # the handoff on Mon Nov 9 10:00 Berlin: thanks to the swap it is Alice's week again, then Bob's
    clock.now = T0 + timedelta(days=7, minutes=1)
    assert usergroup.refresh_all(slack.ctx, lambda team: client(slack)) == 0
    assert updates(slack) == ["U1"] and group(slack)["users"] == ["U1"]
    clock.now = T0 + timedelta(days=14, minutes=1)
    assert usergroup.refresh_all(slack.ctx, lambda team: client(slack)) == 1
    assert group(slack)["users"] == ["U2"] and updates(slack) == ["U1", "U2"]
    assert usergroup.refresh_all(slack.ctx, lambda team: client(slack)) == 0, "unchanged: no second call"
    assert "@platform-oncall is <@U2>" in status(slack, world.schedule_id)


def test_a_change_of_the_current_holder_updates_the_group_at_once(env):
    slack, _, world, clock = env
    pick(slack, world)
    with session_scope(slack.ctx.engine) as s:  # e.g. a cover or a kept hand edit of the running shift
        shift = s.exec(Shift.__table__.select().where(Shift.start == T0)).one()
        assert reassign_shift(s, shift.id, from_member=world.member_ids[0], version=shift.version,
                              to_member=world.member_ids[2], now=clock())
    usergroup.refresh_quietly(slack.ctx, client(slack), world.schedule_id)
    assert group(slack)["users"] == ["U3"]


def test_a_drift_decision_refreshes_the_group_at_once(env, pagerduty):
    """After Keep (or Re-apply) the group is given who holds the shift now, without waiting for the
    minute job: the hook after a drift decision (bot.commands.drift). Here the running shift went to
    Carol meanwhile and nothing told the group yet."""
    slack, http, world, clock = env
    pick(slack, world)
    with session_scope(slack.ctx.engine) as s:
        running = s.exec(Shift.__table__.select().where(Shift.start == T0)).one()
    pagerduty.hand_override("PU3", clock(), running.end)  # Carol covers the rest of Alice's week by hand
    sync_and_notify(slack.ctx, world.schedule_id, client=client(slack))
    with session_scope(slack.ctx.engine) as s:
        alert = s.exec(select(DriftAlert)).one()
        assert reassign_shift(s, running.id, from_member=world.member_ids[0], version=running.version,
                              to_member=world.member_ids[2], now=clock())
    assert group(slack)["users"] == ["U1"]
    http.interact(block_actions(SyncButtonId.DRIFT_KEEP, str(alert.id), user_id="UMGR",
                                response_url=slack.stub.response_url("keep")))
    assert "Kept the provider's version" in json.dumps(last_answer(slack.stub))
    assert group(slack)["users"] == ["U3"] and updates(slack) == ["U1", "U3"]


def test_the_re_export_after_a_time_off_replacement_refreshes_the_group(env):
    """`bot.notify.sync.sync_now` (the re-export after time off moved shifts) refreshes the group first."""
    slack, _, world, clock = env
    pick(slack, world)
    with session_scope(slack.ctx.engine) as s:
        running = s.exec(Shift.__table__.select().where(Shift.start == T0)).one()
        assert reassign_shift(s, running.id, from_member=world.member_ids[0], version=running.version,
                              to_member=world.member_ids[1], now=clock())
    sync_now(slack.ctx, client(slack), {world.schedule_id: [running.id]})
    assert group(slack)["users"] == ["U2"]


def test_nobody_on_call_keeps_the_last_members_and_says_so(env):
    slack, _, world, clock = env
    pick(slack, world)
    clock.now = T0 + timedelta(days=40)  # after the last shift
    assert usergroup.refresh_all(slack.ctx, lambda team: client(slack)) == 1
    assert updates(slack) == ["U1"], "Slack refuses an empty list: never sent"
    assert "nobody is on call now; Slack cannot empty a user group, so @platform-oncall keeps <@U1>" in \
        status(slack, world.schedule_id)


def test_restricted_workspace_gives_a_clear_status_in_the_reply_and_in_status(env):
    slack, http, world, _ = env
    slack.stub.usergroups.restricted = "permission_denied"
    answer = pick(slack, world)
    assert answer.startswith("error: Slack refused to change @platform-oncall (`permission_denied`)")
    assert "only admins may manage user groups" in answer and "Permissions → User Groups" in answer
    http.command("status Platform primary", user_id="U2", response_url=slack.stub.response_url("st"))
    shown = json.dumps(last_answer(slack.stub)["blocks"], ensure_ascii=False)
    assert ":red_circle: User group: Slack refused to change @platform-oncall (`permission_denied`)" in shown


def test_a_failed_setup_is_retried_hourly_by_one_replica(env):
    """After an admin opens user groups to everyone, the minute job sets the group up by itself within
    the hour, without anyone saving `/oncall edit` again; two replicas (or rounds) in the same minute
    try once, since the try is recorded (a compare-and-set on the status)."""
    slack, _, world, clock = env
    slack.stub.usergroups.restricted = "permission_denied"
    answer = pick(slack, world)
    assert "tries again every hour" in answer
    tries = lambda: len(slack.stub.bodies("usergroups.list"))  # noqa: E731
    assert tries() == 1

    def rounds(n: int = 2) -> None:  # the minute job on two replicas
        for _ in range(n):
            usergroup.refresh_all(slack.ctx, lambda team: client(slack))

    clock.now = clock() + timedelta(minutes=30)
    rounds()
    assert tries() == 1, "not yet: once an hour"
    clock.now = clock() + timedelta(minutes=31)
    rounds()
    assert tries() == 2, "one retry, however many replicas"
    assert "permission_denied" in status(slack, world.schedule_id)
    assert "tries again every hour" in status(slack, world.schedule_id)

    slack.stub.usergroups.restricted = None  # the admin allows everyone
    clock.now = clock() + timedelta(minutes=59)
    rounds()
    assert tries() == 2 and slack.stub.usergroups.by_handle("platform-oncall") is None
    clock.now = clock() + timedelta(minutes=2)
    rounds()
    assert tries() == 3 and group(slack)["users"] == ["U1"]
    assert status(slack, world.schedule_id).startswith("ok: @platform-oncall is <@U1>")
    rounds()
    assert tries() == 3 and updates(slack) == ["U1"]


def test_a_disabled_group_is_enabled_and_taken_over_and_a_taken_name_is_worked_around(env):
    slack, _, world, _ = env
    old = slack.stub.usergroups.add("Old on-call", "platform-oncall", users=("U3",), disabled=True)
    slack.stub.usergroups.add("Platform primary on-call", "other")  # the name the bot would pick
    assert pick(slack, world).startswith("ok:")
    assert old["date_delete"] == 0 and old["users"] == ["U1"]
    assert [b["usergroup"] for b in slack.stub.bodies("usergroups.enable")] == [old["id"]]
    assert slack.stub.bodies("usergroups.create") == []

    assert oncall_group.choose(slack.ctx, "T1", world.schedule_id, "bob", "U1")  # a person's name
    answer = usergroup.set_up(slack.ctx, client(slack), world.schedule_id)
    assert answer == ("error: @bob is taken by a person or a channel (Slack: `handle_already_exists`): pick "
                      "another handle in `/oncall edit`. (tries again every hour; last try 2026-11-04 12:00 UTC)")


def test_picked_in_the_edit_modal_with_a_field_error_for_a_bad_handle(env):
    slack, http, world, _ = env
    stub = slack.stub
    http.command("edit Platform primary", user_id="U1", response_url=stub.response_url("edit"))
    view = stub.wait_for("views.update")[-1].body["view"]
    assert_view(view)
    field = next(b for b in view["blocks"] if b.get("block_id") == FormBlock.EDIT_USERGROUP)
    assert field["optional"] and "initial_value" not in field["element"]

    def submit(handle: str):
        values = {
            FormBlock.EDIT_HORIZON: {FormBlock.INPUT: number(28)},
            FormBlock.EDIT_CHANNEL: {FormBlock.INPUT: conversation("C1")},
            FormBlock.EDIT_MEMBERS: {FormBlock.INPUT: users(["U1", "U2", "U3"])},
            FormBlock.EDIT_DESTINATIONS: {FormBlock.INPUT: multi([(f"{world.connection_id}:PSCHED1", "x")])},
            FormBlock.EDIT_USERGROUP: {FormBlock.INPUT: text(handle)},
        }
        return http.interact(view_submission(CallbackId.EDIT, values, user_id="U1", private_metadata=json.dumps(
            {"c": "C1", "r": stub.response_url("edit"), "s": world.schedule_id})))

    resp = submit("Platform OnCall!")
    assert resp.json()["response_action"] == "errors"
    assert "is not a handle Slack takes here" in resp.json()["errors"][FormBlock.EDIT_USERGROUP]
    assert stub.bodies("usergroups.create") == []

    assert submit("@platform-oncall").status == 200
    answers = [b["text"] for b in stub.bodies("response_url")]
    assert any("Saved *Platform primary*" in a and "Setting up @platform-oncall" in a for a in answers)
    assert any(a.startswith(":large_green_circle: User group: @platform-oncall is <@U1>") for a in answers)
    assert group(slack)["users"] == ["U1"]
    assert stub.bodies("usergroups.create")[0]["name"] == "Platform primary on-call"


def test_a_refused_members_update_is_tried_again_hourly_not_every_minute(env):
    """Once the group exists, a workspace that closes user groups to admins makes every update fail the
    same way: the minute job tries again once an hour (the status says when), not 60 times an hour."""
    slack, _, world, clock = env
    pick(slack, world)
    assert updates(slack) == ["U1"]
    slack.stub.usergroups.restricted = "permission_denied"
    clock.now = T0 + timedelta(days=7, hours=1)  # Bob's week: the group should change
    tries = lambda: len(slack.stub.bodies("usergroups.users.update"))  # noqa: E731
    for _ in range(30):
        usergroup.refresh_all(slack.ctx, lambda team: client(slack))
        clock.now = clock() + timedelta(minutes=1)
    assert tries() == 2, "one refused try, then quiet for the hour"
    assert "permission_denied" in status(slack, world.schedule_id)
    assert "tries again every hour" in status(slack, world.schedule_id)
    slack.stub.usergroups.restricted = None
    clock.now = clock() + timedelta(minutes=31)
    usergroup.refresh_all(slack.ctx, lambda team: client(slack))
    assert tries() == 3 and group(slack)["users"] == ["U2"]
    assert status(slack, world.schedule_id).startswith("ok: @platform-oncall is <@U2>")
