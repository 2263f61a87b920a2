"""`/oncall remind`, the App Home reminder select, and a reminder's Swap… / Find cover… buttons, through
signed Slack requests and the stub."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient
from sqlmodel import select as sql

from bot.commands.edit import _checked
from bot.commands.parser import UsageError, tokenize
from bot.commands.remind import RemindCmd, parse_remind
from bot.ids import FormBlock, RemindId, SwapBlockId, SwapCallbackId
from bot.notify.job import notify_round
from bot.services import reminders
from bot.services.authz import Person
from bot.services.directory import Directory
from bot.services.edit import EditRequest, edit_data, edit_schedule
from bot.store import Member, Schedule, Shift, session_scope
from bot.views.edit import edit_modal
from tests.notify.conftest import ZONES, add_platform
from tests.plugins.world import Clock
from tests.slack.blockkit import assert_view
from tests.slack.payloads import block_actions, view_submission


@pytest.mark.parametrize(("text", "offsets"), [("", None), ("off", ()), ("1h", ("1h",)), ("1h 1d", ("1d", "1h")),
                                               ("1D", ("1d",))])
def test_parse(text, offsets):
    assert parse_remind(tokenize(text)) == RemindCmd(offsets)


@pytest.mark.parametrize("text", ["2h", "off 1h", "@bob"])
def test_parse_refuses_what_it_does_not_know(text):
    with pytest.raises(UsageError, match="not a reminder time|`off`"):
        parse_remind(tokenize(text))


@pytest.fixture
def env(slack, slack_http):
    for uid, tz in ZONES.items():
        slack.stub.add_user(uid, name=uid.lower(), email=f"{uid.lower()}@example.com", tz=tz)
    slack.stub.add_channel("C1")
    slack.ctx.clock = Clock(datetime(2026, 3, 29, 16, tzinfo=UTC))
    schedule_id = add_platform(slack.ctx)
    return slack, slack_http, schedule_id


def answer(stub) -> str:
    return json.dumps(stub.bodies("response_url")[-1])


def test_remind_shows_and_changes_my_reminders(env):
    slack, http, _ = env
    http.command("remind", user_id="U1", response_url=slack.stub.response_url("a"))
    assert "the evening before (18:00) and 1 h before" in answer(slack.stub)
    http.command("remind 1h", user_id="U1", response_url=slack.stub.response_url("b"))
    assert "Saved. Your shift reminders: 1 h before" in answer(slack.stub)
    assert reminders.get_offsets(slack.ctx.engine, "T1", "U1") == ("1h",)
    http.command("remind off", user_id="U1", response_url=slack.stub.response_url("c"))
    assert "reminders are off" in answer(slack.stub)
    http.command("remind soon", user_id="U1", response_url=slack.stub.response_url("d"))
    assert "is not a reminder time" in answer(slack.stub) and "/oncall remind [1d] [1h] [off]" in answer(slack.stub)


def test_app_home_select_changes_them_and_republishes(env):
    slack, http, _ = env
    home = {"id": "VH", "type": "home", "callback_id": "home_view"}
    opt = {"text": {"type": "plain_text", "text": "Off"}, "value": "off"}
    http.interact(block_actions(RemindId.HOME, user_id="U1", channel_id=None, view=home, selected_option=opt))
    assert reminders.get_offsets(slack.ctx.engine, "T1", "U1") == ()
    (published,) = slack.stub.bodies("views.publish")
    assert "*Shift reminders* (by DM): off" in json.dumps(published)


def test_find_cover_button_starts_the_cover_flow_for_that_shift(env):
    slack, http, schedule_id = env
    notify_round(slack.ctx, WebClient(token="xoxb-test", base_url=slack.stub.api_url))
    (dm,) = [b for b in slack.stub.bodies("chat.postMessage") if b["channel"] == "U1"]
    blocks = json.loads(dm["blocks"]) if isinstance(dm["blocks"], str) else dm["blocks"]
    cover = next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == RemindId.COVER)
    http.interact(block_actions(RemindId.COVER, cover["value"], user_id="U1", channel_id="DU1",
                                response_url=slack.stub.response_url("dm")))
    (opened,) = slack.stub.bodies("views.open")
    modal = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert modal["callback_id"] == RemindId.PICK
    person = {"type": "users_select", "selected_user": "U1"}
    resp = http.interact(view_submission(RemindId.PICK, {RemindId.PERSON: {RemindId.INPUT: person}},
                                         private_metadata=modal["private_metadata"], user_id="U1"))
    assert resp.json()["errors"] == {RemindId.PERSON: "Pick someone else."}
    person["selected_user"] = "U3"
    resp = http.interact(view_submission(RemindId.PICK, {RemindId.PERSON: {RemindId.INPUT: person}},
                                         private_metadata=modal["private_metadata"], user_id="U1"))
    assert resp.body == ""
    preview = answer(slack.stub)
    assert "swap_confirm" in preview and "<@U3>" in preview  # the cover flow's own preview with Confirm


def test_swap_button_lets_me_pick_which_of_their_shifts(env):
    """*Swap…* in a reminder: pick the person, then the swap flow's own shift picker offers every upcoming
    shift of theirs (the next one preselected) against the reminded shift; the preview is for the one
    picked. Bob (U2) has two upcoming weeks here: Apr 6 and Apr 20."""
    slack, http, schedule_id = env
    with session_scope(slack.ctx.engine) as session:
        bob = session.exec(sql(Member).where(Member.slack_user_id == "U2")).first()
        session.add(Shift(team_id="T1", schedule_id=schedule_id, start=datetime(2026, 4, 20, 7, tzinfo=UTC),
                          end=datetime(2026, 4, 27, 7, tzinfo=UTC), member_id=bob.id))
    notify_round(slack.ctx, WebClient(token="xoxb-test", base_url=slack.stub.api_url))
    (dm,) = [b for b in slack.stub.bodies("chat.postMessage") if b["channel"] == "U1"]
    blocks = json.loads(dm["blocks"]) if isinstance(dm["blocks"], str) else dm["blocks"]
    swap = next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == RemindId.SWAP)
    http.interact(block_actions(RemindId.SWAP, swap["value"], user_id="U1", channel_id="DU1",
                                response_url=slack.stub.response_url("dm")))
    (opened,) = slack.stub.bodies("views.open")
    modal = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    person = {"type": "users_select", "selected_user": "U2"}
    resp = http.interact(view_submission(RemindId.PICK, {RemindId.PERSON: {RemindId.INPUT: person}},
                                         private_metadata=modal["private_metadata"], user_id="U1"))
    assert resp.json()["response_action"] == "update"
    view = resp.json()["view"]
    assert_view(view)
    assert view["callback_id"] == SwapCallbackId.PICK_SHIFTS
    fields = {b.get("block_id"): b["element"] for b in view["blocks"] if b["type"] == "input"}
    mine, theirs = fields[SwapBlockId.SHIFTS_A], fields[SwapBlockId.SHIFTS_B]
    assert [o["value"] for o in mine["options"]] == [swap["value"]] == [o["value"] for o in mine["initial_options"]]
    assert [o["text"]["text"][:6] for o in theirs["options"]] == ["Mon 6 ", "Mon 20"]
    assert [o["text"]["text"][:6] for o in theirs["initial_options"]] == ["Mon 6 "]

    later = theirs["options"][1]
    values = {SwapBlockId.SHIFTS_A: {SwapBlockId.INPUT: {"type": "multi_static_select", "selected_options": [
                  mine["options"][0]]}},
              SwapBlockId.SHIFTS_B: {SwapBlockId.INPUT: {"type": "multi_static_select", "selected_options": [later]}}}
    resp = http.interact(view_submission(SwapCallbackId.PICK_SHIFTS, values, private_metadata=view["private_metadata"],
                                         user_id="U1"))
    assert resp.status == 200 and resp.body == ""
    preview = answer(slack.stub)
    assert "swap_confirm" in preview
    moves = "\n".join(b["text"]["text"] for b in json.loads(preview)["blocks"] if b.get("text"))
    assert "<@U2> → <@U1>:*\n• Mon 20 Apr 09:00" in moves and "• Mon 6 Apr" not in moves


def test_swap_button_refused_for_someone_elses_shift(env):
    slack, http, _ = env
    with session_scope(slack.ctx.engine) as session:
        bob = session.exec(sql(Member).where(Member.slack_user_id == "U2")).first()
        shift = session.exec(sql(Shift).where(Shift.member_id == bob.id)).first()
    meta = json.dumps({"s": shift.id, "k": "swap"})
    person = {"type": "users_select", "selected_user": "U3"}
    resp = http.interact(view_submission(RemindId.PICK, {RemindId.PERSON: {RemindId.INPUT: person}},
                                         private_metadata=meta, user_id="U1"))
    assert resp.json()["errors"][RemindId.PERSON] == "That shift is no longer yours: see `/oncall who`."


def test_edit_shows_the_handover_checkbox_and_turns_messages_off(env):
    slack, _, schedule_id = env
    data = edit_data(slack.ctx, "T1", schedule_id)
    modal = edit_modal(data, [])
    (field,) = [b for b in modal["blocks"] if b.get("block_id") == FormBlock.EDIT_HANDOVER]
    assert field["element"]["initial_options"] == field["element"]["options"]  # on by default
    submitted = {"state": {"values": {FormBlock.EDIT_HANDOVER: {FormBlock.INPUT: {
        "type": "checkboxes", "selected_options": []}}}}}
    assert _checked(submitted, FormBlock.EDIT_HANDOVER) is False
    assert _checked({"state": {"values": {}}}, FormBlock.EDIT_HANDOVER) is None  # not shown: kept
    edit_schedule(slack.ctx, Directory(WebClient(token="x", base_url=slack.stub.api_url)), "T1",
                  Person("UMGR", admin=lambda: True), EditRequest(schedule_id, data.horizon_days, data.channel_id, data.member_slack_ids,
                              data.destinations, handover_messages=False))
    with session_scope(slack.ctx.engine) as session:
        assert session.get(Schedule, schedule_id).handover_messages is False
    (field,) = [b for b in edit_modal(edit_data(slack.ctx, "T1", schedule_id), [])["blocks"]
                if b.get("block_id") == FormBlock.EDIT_HANDOVER]
    assert field["element"].get("initial_options") is None
