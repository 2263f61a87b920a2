"""End to end through signed Slack requests (listeners inline), the Slack stub and PagerDuty on respx:
`/oncall swap @alice @bob` → Confirm → Bob accepts → both overrides re-exported in that interaction;
undo restores them; manager swaps, declines, expiry, the picker modal and refusals."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import SwapBlockId, SwapButtonId, SwapCallbackId
from bot.notify.swaps import expire_swap_requests
from bot.store import SwapRequest, session_scope
from bot.sync.engine import sync_schedule
from tests.plugins.world import Clock, add_world
from tests.slack.payloads import block_actions, view_submission
from tests.swaps.conftest import NOW
from tests.swaps.helpers import add_time_off, owners
from tests.sync_io.fakes import T0, FakePagerDuty


@pytest.fixture
def env(slack, slack_http, conformant_respx):
    clock = Clock(NOW)
    slack.ctx.clock = clock
    for uid, name in (("U1", "alice"), ("U2", "bob"), ("U3", "carol"), ("UMGR", "boss")):
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com")
    slack.stub.add_channel("C1")
    pd = FakePagerDuty(conformant_respx, clock)
    world = add_world(slack.ctx, weeks=5, managers="UMGR")
    sync_schedule(slack.ctx, world.schedule_id)  # the first export: one override per shift
    pd.log.clear()
    return slack, slack_http, pd, world, clock


def dump(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def last_answer(stub) -> dict:
    return stub.bodies("response_url")[-1]


def button(payload: dict, action_id: str) -> dict:
    for block in payload["blocks"]:
        for el in block.get("elements", []):
            if el.get("action_id") == action_id:
                return el
    raise AssertionError(f"no {action_id} button in {dump(payload)[:400]}")


def press(http, stub, payload: dict, action_id: str, user: str, channel: str = "C1"):
    el = button(payload, action_id)
    return http.interact(block_actions(action_id, el["value"], user_id=user, channel_id=channel,
                                       response_url=stub.response_url(f"{user}-{action_id}")))


def dms(stub, user: str) -> list[dict]:
    return [b for b in stub.bodies("chat.postMessage") if b.get("channel") == user]


def test_swap_confirm_accept_reexports_at_once_and_undo_restores(env):
    slack, http, pd, world, clock = env
    stub = slack.stub
    assert http.command("swap <@U1|alice> <@U2|bob>", user_id="U1", response_url=stub.response_url("cmd")).status == 200
    preview = last_answer(stub)
    text = dump(preview["blocks"])
    assert preview["response_type"] == "ephemeral" and "check before anything changes" in text
    assert "Mon 9 Nov 10:00" in text and "Mon 16 Nov 10:00" in text and "(7 days)" in text and "CET" in text
    assert pd.log == []  # nothing changes before confirming

    press(http, stub, preview, SwapButtonId.CONFIRM, "U1")
    sent = last_answer(stub)
    assert sent["replace_original"] and "Asked <@U2>" in sent["text"]
    ask = dms(stub, "U2")[-1]
    assert "asks you to swap" in ask["text"] and "Mon 16 Nov 10:00" in dump(ask["blocks"])
    channel_post = [b for b in stub.bodies("chat.postMessage") if b["channel"] == "C1"]
    assert len(channel_post) == 1 and "waiting for <@U2>" in dump(channel_post[0]["blocks"])
    assert pd.log == []

    stub.reset()
    press(http, stub, ask, SwapButtonId.ACCEPT, "U2", channel="D2")
    # same interaction: both overrides re-exported, exactly these requests
    assert [f"{r.method} {r.url.path}" for r in pd.log] == [
        "GET /schedules/PSCHED1", "POST /schedules/PSCHED1/overrides",
        "DELETE /schedules/PSCHED1/overrides/P0002", "DELETE /schedules/PSCHED1/overrides/P0003",
    ]
    assert [o.user_id for o in pd.live()] == ["PU1", "PU1", "PU2", "PU2", "PU1"]
    assert owners(slack.ctx, world.schedule_id) == ["U1", "U1", "U2", "U2", "U1"]
    updates = [dump(b) for b in stub.bodies("chat.update")]
    assert any("PagerDuty · Platform primary: updated 2 overrides" in u and "U2" in u for u in updates)
    done = [b for b in dms(stub, "U1") if "is done" in b["text"]]
    assert done and "PagerDuty · Platform primary: updated 2 overrides" in dump(done[0]["blocks"])
    for user in ("U1", "U2"):
        moved = [b for b in dms(stub, user) if "moved" in b["text"]]
        assert len(moved) == 1 and "No longer yours" in dump(moved[0]["blocks"])
        assert "Now yours" in dump(moved[0]["blocks"])
    assert [b for b in stub.bodies("chat.postMessage") if b.get("thread_ts")], "thread reply in the channel"
    published = {b["user_id"] for b in stub.bodies("views.publish")}
    assert {"U1", "U2"} <= published

    stub.reset()
    pd.log.clear()
    press(http, stub, done[0], SwapButtonId.UNDO, "U1", channel="D1")
    assert [r.method for r in pd.writes()] == ["POST", "DELETE", "DELETE"]
    assert [o.user_id for o in pd.live()] == ["PU1", "PU2", "PU1", "PU2", "PU1"]
    assert owners(slack.ctx, world.schedule_id) == ["U1", "U2", "U1", "U2", "U1"]
    assert "was undone" in last_answer(stub)["text"] or "undone" in dump(last_answer(stub)["blocks"])
    assert any("moved" in b["text"] for b in dms(stub, "U2"))


def test_manager_swaps_directly_and_the_reply_names_each_destination(env):
    slack, http, pd, world, _ = env
    stub = slack.stub
    http.command("swap <@U1> <@U2>", user_id="UMGR", response_url=stub.response_url("cmd"))
    preview = last_answer(stub)
    assert "You manage this schedule" in dump(preview["blocks"])
    press(http, stub, preview, SwapButtonId.CONFIRM, "UMGR")
    final = last_answer(stub)
    assert final["replace_original"] and "PagerDuty · Platform primary: updated 2 overrides" in dump(final)
    assert len(pd.writes()) == 3
    assert dms(stub, "U2") and not [b for b in dms(stub, "U2") if "asks you" in b["text"]]


def test_decline_tells_the_requester_and_changes_nothing(env):
    slack, http, pd, world, _ = env
    stub = slack.stub
    http.command("swap <@U2>", user_id="U1", response_url=stub.response_url("cmd"))
    press(http, stub, last_answer(stub), SwapButtonId.CONFIRM, "U1")
    ask = dms(stub, "U2")[-1]
    press(http, stub, ask, SwapButtonId.ACCEPT, "U3")  # not for Carol
    assert "for <@U2> to answer" in last_answer(stub)["text"]
    press(http, stub, ask, SwapButtonId.DECLINE, "U2", channel="D2")
    assert any("declined" in b["text"] for b in dms(stub, "U1"))
    assert any("declined" in dump(b) for b in stub.bodies("chat.update"))
    assert pd.log == [] and owners(slack.ctx, world.schedule_id) == ["U1", "U2", "U1", "U2", "U1"]


def test_expired_requests_say_so_and_a_late_accept_is_refused(env):
    slack, http, pd, world, clock = env
    stub = slack.stub
    http.command("swap <@U2>", user_id="U1", response_url=stub.response_url("cmd"))
    press(http, stub, last_answer(stub), SwapButtonId.CONFIRM, "U1")
    ask = dms(stub, "U2")[-1]
    clock.now = T0 + timedelta(days=7)
    client = WebClient(token="xoxb-test-token", base_url=stub.api_url)
    assert expire_swap_requests(slack.ctx, lambda _team: client, clock.now) == 1
    assert any("expired" in b["text"] for b in dms(stub, "U1"))
    assert any("expired" in dump(b) for b in stub.bodies("chat.update"))
    press(http, stub, ask, SwapButtonId.ACCEPT, "U2", channel="D2")
    assert "already expired" in last_answer(stub)["text"]
    assert pd.log == []


def test_ambiguous_date_opens_a_picker_then_previews(env):
    slack, http, pd, world, _ = env
    stub = slack.stub
    http.command("swap <@U2> 2027-03-01", user_id="U1", response_url=stub.response_url("cmd"))
    view = stub.bodies("views.open")[-1]["view"]
    assert view["callback_id"] == SwapCallbackId.PICK_SHIFTS
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    a_opts = blocks[SwapBlockId.SHIFTS_A]["element"]
    assert a_opts["initial_options"]  # preselected
    picked_a = a_opts["options"][0]
    picked_b = blocks[SwapBlockId.SHIFTS_B]["element"]["options"][0]
    values = {SwapBlockId.SHIFTS_A: {SwapBlockId.INPUT: {"type": "multi_static_select", "selected_options": [picked_a]}},
              SwapBlockId.SHIFTS_B: {SwapBlockId.INPUT: {"type": "multi_static_select", "selected_options": [picked_b]}}}
    resp = http.interact(view_submission(SwapCallbackId.PICK_SHIFTS, values, private_metadata=view["private_metadata"],
                                         user_id="U1"))
    assert resp.status == 200
    preview = last_answer(stub)
    assert "check before anything changes" in dump(preview["blocks"])
    button(preview, SwapButtonId.CONFIRM)


def test_picker_refuses_an_empty_selection(env):
    slack, http, _, _, _ = env
    http.command("swap <@U2> 2027-03-01", user_id="U1", response_url=slack.stub.response_url("cmd"))
    view = slack.stub.bodies("views.open")[-1]["view"]
    resp = http.interact(view_submission(SwapCallbackId.PICK_SHIFTS, {}, private_metadata=view["private_metadata"],
                                         user_id="U1"))
    assert resp.json()["response_action"] == "errors"


@pytest.mark.parametrize(("text", "user", "words"), [
    ("swap", "U1", "Name who to swap with"),
    ("swap <@U1|alice>", "U1", "twice"),
    ("swap <@U9>", "U1", "is not a member of any schedule"),
    ("swap <@U1> <@U2>", "U3", "only swap or hand over your own shifts"),
    ("cover <@U3> 2026-11-04", "U1", "has already started"),
    ("cover <@U3> tomorrow", "U1", "has already started"),  # Nov 5: Alice's shift in progress
    ("swap <@U2> 12-45", "U1", "`12-45` is not a date I understand"),
    ("swap <@U2> 12-24 to", "U1", "`to` needs an end date"),
    ("swap <@U2> tomorrow..today", "U1", "before it starts"),  # only known once resolved
    ("undo", "U1", "no swap that can still be undone"),
])
def test_refusals_are_ephemeral_with_reasons(env, text, user, words):
    slack, http, pd, _, _ = env
    http.command(text, user_id=user, response_url=slack.stub.response_url("cmd"))
    answer = last_answer(slack.stub)
    assert answer["response_type"] == "ephemeral" and words in dump(answer)
    assert pd.log == []


def test_relative_dates_pick_the_shifts_as_iso_dates_do(env):
    slack, http, pd, _, _ = env
    stub = slack.stub
    http.command("swap <@U2> 11-18", user_id="U1", response_url=stub.response_url("cmd"))
    text = dump(last_answer(stub)["blocks"])
    assert "check before anything changes" in text and "Mon 9 Nov 10:00" in text and "Mon 16 Nov 10:00" in text
    http.command("swap <@U2> 11-16 to 11-29", user_id="U1", response_url=stub.response_url("cmd"))
    text = dump(last_answer(stub)["blocks"])
    assert "Mon 23 Nov 10:00" in text and "Mon 16 Nov 10:00" in text
    assert pd.log == []


def test_time_off_entered_after_the_request_refuses_the_accept_and_tells_the_requester(env):
    slack, http, pd, world, _ = env
    stub = slack.stub
    http.command("swap <@U2>", user_id="U1", response_url=stub.response_url("cmd"))
    press(http, stub, last_answer(stub), SwapButtonId.CONFIRM, "U1")
    ask = dms(stub, "U2")[-1]
    add_time_off(slack.ctx, "U2", T0 + timedelta(days=15), T0 + timedelta(days=16), "dentist")
    stub.reset()
    press(http, stub, ask, SwapButtonId.ACCEPT, "U2", channel="D2")
    answer = last_answer(stub)
    assert answer["replace_original"] and "cannot go ahead any more" in answer["text"]
    assert "<@U2> is on time off (dentist) during Mon 16 Nov 10:00" in answer["text"]
    told = [b for b in dms(stub, "U1") if "cannot go ahead" in b["text"]]
    assert len(told) == 1 and "is on time off (dentist)" in told[0]["text"]
    assert any("refused at acceptance" in dump(b) for b in stub.bodies("chat.update"))  # the channel message
    with session_scope(slack.ctx.engine) as session:
        assert session.exec(select(SwapRequest)).one().status == "refused"
    assert pd.log == [] and owners(slack.ctx, world.schedule_id) == ["U1", "U2", "U1", "U2", "U1"]


def test_help_lists_swap_cover_and_undo(env):
    slack, http, _, _, _ = env
    http.command("help", response_url=slack.stub.response_url("cmd"))
    text = dump(last_answer(slack.stub))
    assert "/oncall swap" in text and "/oncall cover" in text and "/oncall undo" in text


def test_withdraw_a_pending_request(env):
    slack, http, _, world, _ = env
    stub = slack.stub
    http.command("cover <@U3>", user_id="U1", response_url=stub.response_url("cmd"))
    press(http, stub, last_answer(stub), SwapButtonId.CONFIRM, "U1")
    press(http, stub, last_answer(stub), SwapButtonId.WITHDRAW, "U1")
    with session_scope(slack.ctx.engine) as session:
        assert session.exec(select(SwapRequest)).one().status == "cancelled"
    assert "Withdrew" in last_answer(stub)["text"]


def test_the_sync_scheduler_runs_the_expiry_sweep(env):
    slack, http, _, _, clock = env
    http.command("swap <@U2>", user_id="U1", response_url=slack.stub.response_url("cmd"))
    press(http, slack.stub, last_answer(slack.stub), SwapButtonId.CONFIRM, "U1")
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    from bot.jobs import start_scheduler

    job = start_scheduler(slack.ctx, client, start=False).get_job("swap-expiry")
    clock.now = T0 + timedelta(days=8)
    job.func(*job.args)
    assert any("expired" in b["text"] for b in dms(slack.stub, "U1"))


def test_accept_is_acked_before_the_provider_answers(env, slack_http_threaded):
    """Bolt's own thread pool, as in production: the HTTP answer (the ack) comes back while the
    re-export is still held up inside the provider call."""
    import threading

    slack, http, pd, _, _ = env
    stub = slack.stub
    http.command("swap <@U2>", user_id="U1", response_url=stub.response_url("cmd"))
    press(http, stub, last_answer(stub), SwapButtonId.CONFIRM, "U1")
    ask = dms(stub, "U2")[-1]
    stub.reset()
    gate = threading.Event()
    pd.fail = lambda request: None if gate.wait(10) else None  # every provider call waits for the gate
    resp = press(slack_http_threaded, stub, ask, SwapButtonId.ACCEPT, "U2", channel="D2")
    assert resp.status == 200
    assert not any("updated 2 overrides" in dump(b) for b in stub.bodies("chat.update"))
    gate.set()
    stub.wait_for("chat.update", 3)
    assert any("updated 2 overrides" in dump(b) for b in stub.bodies("chat.update"))
    stub.wait_for("views.publish", 5)  # the flow's last step (the sync's refresh, then both parties)
