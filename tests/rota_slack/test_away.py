"""`/oncall away` through signed requests into create_app, on the Slack stub."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.notify import sync as resync
from bot.store import Shift, TimeOff, session_scope
from tests.plugins.world import NOW, add_people, add_platform, member_ids, shifts

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def team(slack, monkeypatch):
    add_people(slack.stub)
    slack.ctx.clock = lambda: NOW
    launched: list = []
    monkeypatch.setattr(resync, "launch", launched.append)
    slack.launched = launched
    slack.schedule_id = add_platform(slack.ctx)
    return slack


def reply(slack) -> str:
    return json.dumps(slack.stub.wait_for("response_url")[-1].body, ensure_ascii=False)


def dms(slack) -> dict[str, str]:
    return {b["channel"]: json.dumps(b, ensure_ascii=False) for b in slack.stub.bodies("chat.postMessage")}


def first_shift_of(slack, uid: str, after_days: int = 2) -> Shift:
    mid = member_ids(slack.ctx, slack.schedule_id)[uid]
    return next(s for s in shifts(slack.ctx, slack.schedule_id)
                if s.member_id == mid and s.start > NOW + timedelta(days=after_days))


def time_off(slack) -> list[TimeOff]:
    with session_scope(slack.ctx.engine) as s:
        return list(s.exec(select(TimeOff)).all())


def test_own_time_off_replaces_the_clashing_shift_and_tells_both_people(team, slack_http):
    victim = first_shift_of(team, "U2")
    day = victim.start.astimezone(BERLIN).strftime("%m-%d")
    slack_http.command(f"away {day} dentist", user_id="U2", response_url=team.response_url)
    text = reply(team)
    assert "You are away" in text and "dentist" in text and "moved" in text
    after = next(s for s in shifts(team.ctx, team.schedule_id) if s.id == victim.id)
    assert after.member_id != victim.member_id and after.version == victim.version + 1
    new_uid = {v: k for k, v in member_ids(team.ctx, team.schedule_id).items()}[after.member_id]
    sent = dms(team)
    assert "U2" in sent and new_uid in sent, "a DM to the old and to the new holder"
    local = victim.start.astimezone(BERLIN)
    assert f"{local:%a %d %b} 09:00" in sent[new_uid] and "Europe/Berlin" in sent[new_uid]
    assert "C1" not in sent, "nothing uncovered: the channel is not bothered"
    [row] = time_off(team)
    assert (row.slack_user_id, row.created_by, row.reason, row.source) == ("U2", "U2", "dentist", "manual")
    assert row.start == local.replace(hour=0) and row.end - row.start == timedelta(days=1)
    assert len(team.launched) == 1, "an immediate re-export was started after the reply"


def test_a_manager_enters_time_off_for_someone_else(team, slack_http):
    slack_http.command("away <@U2|bob> tomorrow 12-01 conference", user_id="U9", response_url=team.response_url)
    text = reply(team)
    assert "<@U2> is away" in text
    [row] = time_off(team)
    assert (row.slack_user_id, row.created_by) == ("U2", "U9")
    mid = member_ids(team.ctx, team.schedule_id)["U2"]
    assert not [s for s in shifts(team.ctx, team.schedule_id)
                if s.member_id == mid and s.start < row.end and s.end > row.start and s.start > NOW]


def test_an_admin_may_too_but_a_colleague_may_not(team, slack_http):
    slack_http.command("away <@U2> tomorrow", user_id="U4", response_url=team.response_url)
    assert "Only a manager" in reply(team)
    assert time_off(team) == []
    slack_http.command("away <@U2> tomorrow", user_id="UADM", response_url=team.response_url)
    assert "<@U2> is away" in reply(team)


@pytest.mark.parametrize(("text", "says"), [
    ("away next week", "not a date I understand"),
    ("away 2026-02-30", "not a valid date"),
    ("away 12-31 to 12-24x", "needs an end date"),
    ("away 2026-11-01", "already over"),
    ("away 2026-12-31 2026-12-24", "before it starts"),
])
def test_bad_dates_say_what_to_type(team, slack_http, text, says):
    slack_http.command(text, user_id="U2", response_url=team.response_url)
    body = reply(team)
    assert says in body and "Type `/oncall" in body
    assert time_off(team) == []


def test_nobody_free_reports_uncovered_shifts_to_the_requester_and_the_channel(team, slack_http):
    victim = first_shift_of(team, "U2", after_days=4)
    day = victim.start.astimezone(BERLIN).strftime("%Y-%m-%d")
    for uid in ("U1", "U3"):
        slack_http.command(f"away {day}", user_id=uid, response_url=team.response_url)
    team.stub.reset()
    slack_http.command(f"away {day}", user_id="U2", response_url=team.response_url)
    text = reply(team)
    assert "Nobody else is free" in text
    after = next(s for s in shifts(team.ctx, team.schedule_id) if s.id == victim.id)
    assert after.member_id == victim.member_id and after.version == victim.version
    channel = dms(team)["C1"]
    assert "Nobody is free" in channel and "<@U2>" in channel and "Europe/Berlin" in channel


def test_list_and_cancel(team, slack_http):
    slack_http.command("away 12-24 12-31 holidays", user_id="U2", response_url=team.response_url)
    slack_http.command("away 2027-02-01", user_id="U2", response_url=team.response_url)
    team.stub.reset()
    slack_http.command("away list", user_id="U2", response_url=team.response_url)
    text = reply(team)
    ids = [r.id for r in time_off(team)]
    assert all(f"#{i}" in text for i in ids) and "holidays" in text and "Thu 24 Dec – Thu 31 Dec 2026" in text
    slack_http.command(f"away cancel {ids[0]}", user_id="U4", response_url=team.response_url)
    assert "Only a manager" in reply(team)
    slack_http.command(f"away cancel {ids[0]}", user_id="U2", response_url=team.response_url)
    assert "stay with them" in reply(team)
    slack_http.command("away list", user_id="U2", response_url=team.response_url)
    text = reply(team)
    assert f"#{ids[0]}" not in text and f"#{ids[1]}" in text
    slack_http.command(f"away cancel {ids[0]}", user_id="U2", response_url=team.response_url)
    assert "no time off #" in reply(team)


def test_app_home_shows_my_time_off_and_follows_cancel(team, slack_http):
    slack_http.command("away 12-24 12-31 holidays", user_id="U2", response_url=team.response_url)
    (entry,) = time_off(team)
    home = json.dumps(team.stub.bodies("views.publish")[-1])
    assert team.stub.bodies("views.publish")[-1]["user_id"] == "U2"
    assert "Your time off" in home and f"#{entry.id}" in home and "holidays" in home
    team.stub.reset()
    slack_http.command(f"away cancel {entry.id}", user_id="U2", response_url=team.response_url)
    home = json.dumps(team.stub.bodies("views.publish")[-1])
    assert "Your time off" not in home


def test_help_lists_the_rota_subcommands(team, slack_http):
    slack_http.command("help", response_url=team.response_url)
    text = reply(team)
    for sub in ("away", "fairness", "calendar", "pattern"):
        assert f"/oncall {sub}" in text
