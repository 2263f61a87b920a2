"""`/oncall history`: a realistic week of a schedule (linking, a swap Bob accepted, an undo, time off,
a drift-mode decision, a manual sync, the user group) read back newest first, in the reader's time
zone, a page at a time with Newer/Older buttons; other workspaces' events never show, and every
message passes Slack's Block Kit rules (the stub refuses what Slack refuses)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.commands.history import page_of, parse_history
from bot.commands.parser import UsageError, tokenize
from bot.commands.values import StaleInput
from bot.ids import HistoryButtonId, SwapButtonId
from bot.services import oncall_group
from bot.services.history import PAGE_SIZE, describe
from bot.store import AuditEvent, audit, session_scope
from bot.sync.engine import sync_schedule
from tests.plugins.world import Clock, add_world, install_fake_assignments
from tests.slack.payloads import block_actions
from tests.swaps.conftest import NOW
from tests.sync_io.fakes import T0, FakePagerDuty


@pytest.fixture(autouse=True)
def fake_assignments(monkeypatch):
    install_fake_assignments(monkeypatch)


@pytest.fixture
def env(slack, slack_http, conformant_respx):
    clock = Clock(T0 - timedelta(hours=20))  # Sunday Nov 1, 13:00 UTC
    slack.ctx.clock = clock
    for uid, name in (("U1", "alice"), ("U2", "bob"), ("U3", "carol"), ("UMGR", "boss")):
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com")
    slack.stub.users["U2"]["tz"] = "America/New_York"
    slack.stub.add_channel("C1")
    FakePagerDuty(conformant_respx, clock)
    world = add_world(slack.ctx, weeks=5, managers="UMGR")
    with session_scope(slack.ctx.engine) as s:  # what connecting and linking wrote
        audit.record(s, "T1", "UMGR", "connection.create", detail="PagerDuty Acme PD (…cdef)", at=clock())
        audit.record(s, "T1", "UMGR", "schedule.link", schedule_id=world.schedule_id, at=clock(),
                     detail="Acme PD:PSCHED1 3 mapped, 0 unmapped")
        audit.record(s, "T2", "UX", "schedule.edit", schedule_id=world.schedule_id, at=clock(),
                     detail="another workspace's secret change")
    sync_schedule(slack.ctx, world.schedule_id)
    return slack, slack_http, world, clock


def answers(stub) -> list[dict]:
    return stub.bodies("response_url")


def button(payload: dict, action_id: str) -> dict | None:
    return next((el for b in payload["blocks"] for el in b.get("elements", []) if el.get("action_id") == action_id),
                None)


def press(http, stub, payload: dict, action_id: str, user: str, channel: str = "C1", name: str = "press"):
    el = button(payload, action_id)
    assert el is not None, json.dumps(payload)[:300]
    return http.interact(block_actions(action_id, el["value"], user_id=user, channel_id=channel,
                                       response_url=stub.response_url(f"{user}-{name}")))


def week(env) -> None:
    """Monday to Saturday of a real week, through the commands where they exist."""
    slack, http, world, clock = env
    stub = slack.stub
    clock.now = NOW  # Wednesday Nov 4, 12:00 UTC: Alice asks Bob to swap, Bob accepts
    http.command("swap <@U1|alice> <@U2|bob>", user_id="U1", response_url=stub.response_url("swap"))
    press(http, stub, answers(stub)[-1], SwapButtonId.CONFIRM, "U1")
    ask = [b for b in stub.bodies("chat.postMessage") if b.get("channel") == "U2"][-1]
    press(http, stub, ask, SwapButtonId.ACCEPT, "U2", channel="D2")
    clock.now = NOW + timedelta(hours=2)  # … and takes it back
    http.command("undo", user_id="U1", response_url=stub.response_url("undo"))
    clock.now = NOW + timedelta(days=1)  # Thursday: time off, a drift decision, a manual export
    http.command("away 2026-11-23 2026-11-24 dentist", user_id="U3", response_url=stub.response_url("away"))
    http.command("drift Platform primary off", user_id="UMGR", response_url=stub.response_url("drift"))
    http.command("sync Platform primary", user_id="UMGR", response_url=stub.response_url("sync"))
    clock.now = NOW + timedelta(days=2, hours=3)  # Friday 15:00 UTC: the user group
    oncall_group.choose(slack.ctx, "T1", world.schedule_id, "platform-oncall", "UMGR")


def test_a_week_newest_first_in_the_readers_zone_with_who_did_it(env):
    slack, http, world, clock = env
    week(env)
    stub = slack.stub
    assert http.command("history Platform primary 7d", user_id="U2", response_url=stub.response_url("h")).status == 200
    shown = answers(stub)[-1]
    text = "\n".join(b["text"]["text"] for b in shown["blocks"] if b["type"] == "section")
    lines = [line for line in text.splitlines() if line.startswith("`")]
    # newest first; New York time (UTC-5): Friday 15:00 UTC is 10:00 there
    assert lines[0].startswith("`10:00` <@UMGR> · *Platform primary*: set the on-call user group: @platform-oncall")
    assert "*Friday 6 November 2026*" in text and "*Sunday 1 November 2026*" in text
    assert any("exported now with `/oncall sync`" in line and line.startswith("`07:00` <@UMGR>") for line in lines)
    assert any("set the drift mode to off" in line for line in lines)
    swap = next(line for line in lines if "swap #1 done" in line)
    assert swap.startswith("`07:00` <@U2>") and "accepted by <@U2>" in swap and "asked by <@U1>" in swap
    assert "<@U2> → <@U1>" in swap and "<@U1> → <@U2>" in swap
    assert any(line.startswith("`09:00` <@U1>") and "undid swap #1" in line for line in lines)
    assert any("linked the schedule" in line and line.startswith("`08:00` <@UMGR>") for line in lines)
    assert "another workspace" not in json.dumps(shown)
    assert "times in America/New_York" in json.dumps(shown)
    assert text.index("Friday") < text.index("Thursday") < text.index("Wednesday") < text.index("Sunday")

    # the workspace view also shows what belongs to no schedule (time off, connections)
    http.command("history", user_id="U2", response_url=stub.response_url("all"))
    everything = json.dumps(answers(stub)[-1], ensure_ascii=False)
    assert "added time off: #1 for <@U3>, 2026-11-23" in everything
    assert "connected the account PagerDuty Acme PD" in everything


def test_declines_and_withdrawals_are_in_the_history(env):
    """A declined swap, a withdrawn cover request and a declined cover each leave an audit event, with
    who did it, shown in words."""
    slack, http, world, clock = env
    stub = slack.stub
    clock.now = NOW
    http.command("swap <@U1|alice> <@U2|bob>", user_id="U1", response_url=stub.response_url("swap"))
    press(http, stub, answers(stub)[-1], SwapButtonId.CONFIRM, "U1")
    ask = [b for b in stub.bodies("chat.postMessage") if b.get("channel") == "U2"][-1]
    press(http, stub, ask, SwapButtonId.DECLINE, "U2", channel="D2", name="decline")
    clock.now = NOW + timedelta(hours=1)
    http.command("cover <@U3>", user_id="U1", response_url=stub.response_url("cover"))
    press(http, stub, answers(stub)[-1], SwapButtonId.CONFIRM, "U1", name="confirm-cover")
    press(http, stub, answers(stub)[-1], SwapButtonId.WITHDRAW, "U1", name="withdraw")
    clock.now = NOW + timedelta(hours=2)
    http.command("cover <@U3>", user_id="U1", response_url=stub.response_url("cover2"))
    press(http, stub, answers(stub)[-1], SwapButtonId.CONFIRM, "U1", name="confirm-cover2")
    ask = [b for b in stub.bodies("chat.postMessage") if b.get("channel") == "U3"][-1]
    press(http, stub, ask, SwapButtonId.DECLINE, "U3", channel="D3", name="decline-cover")

    with session_scope(slack.ctx.engine) as s:
        actions = [(e.actor, e.action) for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))
                   if e.action.startswith(("swap.", "cover."))]
    assert actions == [("U2", "swap.decline"), ("U1", "cover.withdraw"), ("U3", "cover.decline")]
    http.command("history Platform primary", user_id="U1", response_url=stub.response_url("h"))
    text = json.dumps(answers(stub)[-1], ensure_ascii=False)
    assert "<@U2> · *Platform primary*: declined swap #1, asked by <@U1>" in text
    assert "<@U1> · *Platform primary*: withdrew cover #2" in text
    assert "<@U3> · *Platform primary*: declined cover #3, asked by <@U1>" in text


def test_paging_with_buttons_and_limits(env):
    slack, http, world, clock = env
    stub = slack.stub
    with session_scope(slack.ctx.engine) as s:  # a busy week: 40 manual exports, 300-character details
        for i in range(40):
            audit.record(s, "T1", "UMGR", "sync.manual", schedule_id=world.schedule_id,
                         at=clock() + timedelta(hours=3 * i + 1), detail=f"run {i:02d} " + "x" * 300)
    clock.now = clock() + timedelta(days=6)
    http.command("history Platform primary 7d", user_id="U1", response_url=stub.response_url("h"))
    first = answers(stub)[-1]
    assert "run 39" in json.dumps(first) and "run 25" in json.dumps(first) and "run 24" not in json.dumps(first)
    assert button(first, HistoryButtonId.NEWER) is None
    assert f"1–{PAGE_SIZE} of 41" in json.dumps(first, ensure_ascii=False)

    press(http, stub, first, HistoryButtonId.OLDER, "U1", name="p2")
    second = answers(stub)[-1]
    assert second["replace_original"] is True
    assert "run 24" in json.dumps(second) and "run 10" in json.dumps(second) and "run 09" not in json.dumps(second)
    press(http, stub, second, HistoryButtonId.OLDER, "U1", name="p3")
    third = answers(stub)[-1]
    assert "linked the schedule" in json.dumps(third) and button(third, HistoryButtonId.OLDER) is None
    press(http, stub, third, HistoryButtonId.NEWER, "U1", name="back")
    assert "run 24" in json.dumps(answers(stub)[-1])
    for shown in (first, second, third):
        assert len(shown["blocks"]) <= 50
        assert all(len(b["text"]["text"]) <= 3000 for b in shown["blocks"] if b["type"] == "section")


def test_buttons_cannot_reach_another_workspace_or_carry_forged_values(env):
    slack, http, world, _ = env
    stub = slack.stub
    http.interact(block_actions(HistoryButtonId.OLDER, f"{world.schedule_id}.7.0", user_id="U9", team_id="T2",
                                channel_id="C1", response_url=stub.response_url("other")))
    other = json.dumps(answers(stub)[-1])
    assert "linked the schedule" not in other and "secret change" not in other
    http.interact(block_actions(HistoryButtonId.OLDER, "1.7.0; DROP", user_id="U1", channel_id="C1",
                                response_url=stub.response_url("forged")))
    assert "out of date" in answers(stub)[-1]["text"]
    with session_scope(slack.ctx.engine) as s:
        assert len(s.exec(select(AuditEvent).where(AuditEvent.team_id == "T2")).all()) == 1


def test_parsing_and_values():
    assert parse_history(tokenize("Platform primary 30d")).days == 30
    assert parse_history(tokenize("Platform primary 30d")).schedule == "Platform primary"
    assert parse_history(tokenize("")).schedule is None and parse_history(tokenize("")).days == 7
    with pytest.raises(UsageError):
        parse_history(tokenize("400d"))
    assert page_of("0.7.2") == (None, 7, 2) and page_of("12.30.0") == (12, 30, 0)
    for bad in ("1.7", "1.0.0", "1.7.-1", "١.7.0", None, "1.7.0 "):
        with pytest.raises(StaleInput):
            page_of(bad)


def test_describe_reads_every_kind_in_words():
    people = {1: "<@U1>", 2: "<@U2>"}
    swap = json.dumps({"request": 4, "moves": [[10, 1, 2, 2], [11, 2, 1, 2]], "requested_by": "U1",
                       "accepted_by": [], "forced": True})
    assert describe("swap.execute", swap, people) == ("swap #4 done: 2 shifts (<@U1> → <@U2>; <@U2> → <@U1>), "
                                                      "asked by <@U1>, forced by a manager")
    assert describe("cover.undo", json.dumps({"request": 5, "moves": [[10, 2, 3, 1]]}), people) == \
        "undid cover #5: 1 shift (<@U2> → <@U1>)"
    assert describe("drift.keep", json.dumps({"alert": 1, "assigned": ["shift 3: member 1 → 2 (Bob)"]}), people) \
        == "kept the provider's version of a drift: 1 shift reassigned (shift 3: member 1 → 2 (Bob))"
    assert describe("drift.reapply", "shifts 3,4", people) == "re-applied the bot's assignments after a drift " \
                                                             "(shifts 3,4)"
    assert describe("connection.remove", "Acme PD", people) == "removed the account Acme PD"
    assert describe("something.new", "", people) == "something.new"
    assert describe("swap.decline", json.dumps({"request": 7, "requested_by": "U1"}), people) == \
        "declined swap #7, asked by <@U1>"
    assert describe("cover.withdraw", json.dumps({"request": 8, "requested_by": "U1"}), people) == \
        "withdrew cover #8"
