"""Issue 12: managers are set in the edit modal (signed requests into the app, the Slack stub,
PagerDuty on respx with conformance) and honoured by every command and button that asks
`bot.services.authz`: a manager swaps others directly, decides drift, changes the pattern and
exports; someone else is refused with a message naming who may."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import CallbackId, FormBlock, SwapButtonId, SyncButtonId
from bot.notify.sync import sync_and_notify
from bot.store import DriftAlert, Schedule, session_scope
from tests.plugins.world import Clock, add_world, shifts
from tests.slack.payloads import block_actions, conversation, multi, number, users, view_submission
from tests.sync_io.fakes import T0, FakePagerDuty

SCHED = "Platform primary"


@pytest.fixture
def env(slack, slack_http, conformant_respx):
    """Alice (U1), Bob (U2), Carol (U3) in a schedule without managers; Boss (UADMIN) a workspace admin."""
    clock = Clock(T0 + timedelta(days=2, hours=3))
    slack.ctx.clock = clock
    for uid, name in (("U1", "alice"), ("U2", "bob"), ("U3", "carol")):
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com")
    slack.stub.add_user("UADMIN", name="boss", email="boss@example.com", is_admin=True)
    slack.stub.add_user("UBOT2", name="otherbot", email="bot@example.com", is_bot=True)
    slack.stub.add_channel("C1")
    fake = FakePagerDuty(conformant_respx, clock)
    world = add_world(slack.ctx, weeks=4, managers="")
    return slack, slack_http, fake, world


def answer(slack) -> str:
    return json.dumps(slack.stub.bodies("response_url")[-1], ensure_ascii=False)


def managers(slack, world) -> str:
    with session_scope(slack.ctx.engine) as session:
        return session.get(Schedule, world.schedule_id).managers


def open_edit(slack, http, user: str) -> dict:
    http.command(f"edit {SCHED}", user_id=user, response_url=slack.stub.response_url(f"edit-{user}"))
    return slack.stub.wait_for("views.update")[-1].body["view"]


def submit_edit(slack, http, view: dict, user: str, managers: list[str], *, dests: int | None = 1) -> dict:
    """Submit the edit modal; `dests`: the connection id of the one destination sent, None for no field."""
    values = {FormBlock.EDIT_HORIZON: {FormBlock.INPUT: number(28)},
              FormBlock.EDIT_CHANNEL: {FormBlock.INPUT: conversation("C1")},
              FormBlock.EDIT_MEMBERS: {FormBlock.INPUT: users(["U1", "U2", "U3"])},
              FormBlock.EDIT_MANAGERS: {FormBlock.INPUT: users(managers)}}
    if dests is not None:
        values[FormBlock.EDIT_DESTINATIONS] = {FormBlock.INPUT: multi([(f"{dests}:PSCHED1", SCHED)])}
    resp = http.interact(view_submission(CallbackId.EDIT, values, private_metadata=view["private_metadata"],
                                         user_id=user))
    assert resp.status == 200
    return resp.json() if resp.body else {}


def block(view: dict, block_id: str) -> dict | None:
    return next((b for b in view["blocks"] if b.get("block_id") == block_id), None)


def test_a_manager_set_in_the_modal_is_honoured_everywhere_and_others_are_refused(env):
    slack, http, fake, world = env
    stub = slack.stub

    # nobody manages it yet: Carol may not edit it, and is told who may and how
    http.command(f"edit {SCHED}", user_id="U3", response_url=stub.response_url("c0"))
    assert "Only this schedule's managers, workspace admins" in answer(slack)
    assert "has no managers yet" in answer(slack) and not stub.calls("views.open")

    # the admin names Carol in the edit modal
    view = open_edit(slack, http, "UADMIN")
    field = block(view, FormBlock.EDIT_MANAGERS)
    assert field["element"]["type"] == "multi_users_select" and field["optional"] is True
    assert "initial_users" not in field["element"]
    assert submit_edit(slack, http, view, "UADMIN", ["U3"]) == {}
    assert "Managers: added <@U3>." in answer(slack)
    assert managers(slack, world) == "U3"

    # status and the edit modal show her
    http.command(f"status {SCHED}", user_id="U2", response_url=stub.response_url("st"))
    assert "*Managers:* <@U3>" in answer(slack)
    view = open_edit(slack, http, "U3")  # a manager may open it; destinations are for admins
    assert block(view, FormBlock.EDIT_MANAGERS)["element"]["initial_users"] == ["U3"]
    assert block(view, FormBlock.EDIT_DESTINATIONS) is None
    assert "workspace admins change destinations" in json.dumps(view)

    # drift: the mode and the alert buttons
    http.command(f"drift {SCHED} auto", user_id="U2", response_url=stub.response_url("d2"))
    assert "Only this schedule's managers" in answer(slack)
    http.command(f"drift {SCHED} alert", user_id="U3", response_url=stub.response_url("d3"))
    assert "is now `alert`" in answer(slack)
    client = WebClient(token="xoxb-test-token", base_url=stub.api_url)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    s = shifts(slack.ctx, world.schedule_id)[1]
    fake.hand_override("PU1" if s.member_id != world.member_ids[0] else "PU2", s.start, s.end)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    with session_scope(slack.ctx.engine) as session:
        alert = session.exec(select(DriftAlert)).one()
    http.interact(block_actions(SyncButtonId.DRIFT_KEEP, str(alert.id), user_id="U2",
                                response_url=stub.response_url("k2")))
    assert "Only this schedule's managers" in answer(slack)
    with session_scope(slack.ctx.engine) as session:
        assert session.get(DriftAlert, alert.id).status == "open"
    http.interact(block_actions(SyncButtonId.DRIFT_KEEP, str(alert.id), user_id="U3",
                                response_url=stub.response_url("k3")))
    assert "Kept the provider's version" in answer(slack)

    # the pattern: Carol may, Bob may not
    http.command(f"pattern {SCHED} handoff 10:00", user_id="U2", response_url=stub.response_url("p2"))
    assert "Only this schedule's managers" in answer(slack) and "<@U3>" in answer(slack)
    http.command(f"pattern {SCHED} handoff 10:00", user_id="U3", response_url=stub.response_url("p3"))
    assert "handoff" in answer(slack) and "→ 10:00" in answer(slack)

    # swapping other people's shifts: Carol directly, Bob not at all
    http.command("swap <@U1> <@U3>", user_id="U2", response_url=stub.response_url("s2"))
    assert "You can only swap or hand over your own shifts" in answer(slack) and "<@U3>" in answer(slack)
    http.command("swap <@U1> <@U2>", user_id="U3", response_url=stub.response_url("s3"))
    preview = stub.bodies("response_url")[-1]
    assert "You manage this schedule" in json.dumps(preview)
    confirm = next(e for b in preview["blocks"] for e in b.get("elements", [])
                   if e.get("action_id") == SwapButtonId.CONFIRM)
    http.interact(block_actions(SwapButtonId.CONFIRM, confirm["value"], user_id="U3", channel_id="C1",
                                response_url=stub.response_url("s3c")))
    assert "Swap #1 in *Platform primary* is done" in answer(slack) and "updated 2 overrides" in answer(slack)

    # exporting now
    http.command(f"sync {SCHED}", user_id="U2", response_url=stub.response_url("y2"))
    assert "Only this schedule's managers" in answer(slack)
    http.command(f"sync {SCHED}", user_id="U3", response_url=stub.response_url("y3"))
    syncing, done = stub.bodies("response_url")[-2:]
    assert "Syncing Platform primary" in syncing["text"] and done["text"] == "Sync done: Platform primary"


def test_only_admins_and_current_managers_change_managers(env):
    slack, http, fake, world = env
    view = open_edit(slack, http, "UADMIN")
    submit_edit(slack, http, view, "UADMIN", ["U3"])
    # Bob, neither, submits (a copy of) the modal: refused, nothing saved
    body = submit_edit(slack, http, view, "U2", ["U2"])
    assert body["response_action"] == "update" and "Only this schedule's managers" in json.dumps(body["view"])
    assert managers(slack, world) == "U3"
    # Carol, a manager, hands over to Bob; she may not change destinations (the field is not hers)
    view = open_edit(slack, http, "U3")
    body = submit_edit(slack, http, view, "U3", ["U2"], dests=None)
    assert body == {}
    assert "Managers: added <@U2>; removed <@U3>." in answer(slack)
    assert managers(slack, world) == "U2"
    body = submit_edit(slack, http, view, "U2", ["U2"])  # destinations sent by a non-admin: unchanged is fine
    assert body == {}
    # and Carol is no longer one
    http.command(f"pattern {SCHED} handoff 11:00", user_id="U3", response_url=slack.stub.response_url("p"))
    assert "Managers of *Platform primary*: <@U2>." in answer(slack)


def test_new_managers_must_be_active_people(env):
    slack, http, fake, world = env
    slack.stub.add_user("U9", name="gone", email="gone@example.com", deleted=True)
    view = open_edit(slack, http, "UADMIN")
    for who, words in (("U9", "deactivated"), ("UBOT2", "is a bot"), ("UNOBODY", "does not know")):
        body = submit_edit(slack, http, view, "UADMIN", [who])
        assert body["response_action"] == "errors" and words in body["errors"][FormBlock.EDIT_MANAGERS]
    assert managers(slack, world) == ""
