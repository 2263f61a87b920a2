"""`/oncall fairness`: the pure view (validated with slack-sdk models), the parser, and a dispatch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.commands.fairness import FairnessCmd, parse_fairness
from bot.commands.parser import UsageError, tokenize
from bot.services.fairness import FairnessData, FairnessLine, WindowSpec
from bot.store import Member, Schedule, Shift, session_scope
from bot.views.fairness import fairness_message, table_lines
from tests.plugins.world import NOW, add_people, add_platform
from tests.slack.blockkit import assert_message


def line(name, served, upcoming, share, target, delta=0.0, wknd=1, hol=0, uid=None) -> FairnessLine:
    return FairnessLine(name, uid, served, upcoming, wknd, hol, share, target, delta)


def data(lines, name="Platform") -> FairnessData:
    return FairnessData(name, "Europe/Berlin", datetime(2026, 8, 29, tzinfo=UTC), datetime(2026, 12, 11, tzinfo=UTC),
                        NOW, "last 90 days + plan", tuple(lines), 87,
                        "Quality 87/100 · gaps 0h · time-off clashes 0h · spread 24h · weekends 1 · back-to-back 0")


def test_view_is_a_compact_code_block_table_with_bars_and_one_quality_line():
    msg = fairness_message([data([line("Alice Adams", 720, 96, 0.36, 0.33, 24), line("Bob", 600, 120, 0.32, 0.33, -8),
                                  line("A very long name indeed", 600, 96, 0.32, 0.33, -16)])])
    assert_message(msg)
    table = msg["blocks"][1]["text"]["text"]
    assert table.startswith("```") and "Share vs target" in table
    assert "██████████  36% / 33% (+24h)" in table and "A very long n…" in table
    assert sum("Quality 87/100" in json.dumps(b) for b in msg["blocks"]) == 1
    assert "87/100" in msg["text"]


def test_view_columns_line_up_and_big_teams_are_split():
    rows = table_lines([line(f"Person {i}", 100 + i, 10, 0.02, 0.02) for i in range(50)])
    assert len({len(r) for r in rows[1:]}) == 1
    msg = fairness_message([data([line(f"Person {i}", 100 + i, 10, 0.02, 0.02) for i in range(50)])])
    assert_message(msg)
    assert sum(b.get("block_id", "").startswith("fairness_table") for b in msg["blocks"]) == 2
    assert all(len(b["text"]["text"]) <= 3000 for b in msg["blocks"] if b["type"] == "section")


def test_view_of_an_empty_period():
    msg = fairness_message([data([])])
    assert_message(msg)
    assert "Nobody has served" in json.dumps(msg)


@pytest.mark.parametrize(("text", "cmd"), [
    ("", FairnessCmd()),
    ("Platform", FairnessCmd("Platform")),
    ("Platform primary 30d", FairnessCmd("Platform primary", WindowSpec("days", 30))),
    ("quarter", FairnessCmd(None, WindowSpec("quarter"))),
    ("Platform 12w", FairnessCmd("Platform", WindowSpec("days", 84))),
    ('"90d"', FairnessCmd("90d")),  # quoted: a schedule name
])
def test_parse(text, cmd):
    assert parse_fairness(tokenize(text)) == cmd


def test_parse_refuses_silly_windows():
    with pytest.raises(UsageError, match="between 1 and 730"):
        parse_fairness(tokenize("Platform 5000d"))


@pytest.fixture
def team(slack):
    add_people(slack.stub)
    slack.ctx.clock = lambda: NOW
    slack.schedule_id = add_platform(slack.ctx)
    with session_scope(slack.ctx.engine) as s:  # served history: Alice did the last 10 days alone
        sched = s.get(Schedule, slack.schedule_id)
        alice = s.exec(select(Member).where(Member.schedule_id == sched.id, Member.slack_user_id == "U1")).one()
        first = min(x.start for x in s.exec(select(Shift).where(Shift.schedule_id == sched.id)))
        for d in range(1, 11):
            start = first - timedelta(days=d)
            s.add(Shift(team_id="T1", schedule_id=sched.id, start=start, end=start + timedelta(days=1),
                        member_id=alice.id, source="history"))
    return slack


def test_dispatch_shows_served_and_upcoming_per_person(team, slack_http):
    slack_http.command("fairness Platform 30d", response_url=team.response_url)
    body = team.stub.wait_for("response_url")[-1].body
    text = json.dumps(body, ensure_ascii=False)
    assert "Platform" in text and "Alice Adams" in text and "Bob Brown" in text and "Carol Chen" in text
    assert "Quality" in text and "/100" in text
    table = next(b["text"]["text"] for b in body["blocks"] if b.get("block_id", "").startswith("fairness_table"))
    alice = next(r for r in table.splitlines() if r.startswith("Alice"))
    assert "2" in alice.split()[2]  # served: at least 10 days + today's part, in hours
    slack_http.command("fairness", channel_id="C1", response_url=team.response_url)  # this channel's schedule
    assert "Alice Adams" in json.dumps(team.stub.wait_for("response_url", 2)[-1].body)
    slack_http.command("fairness Nope", response_url=team.response_url)
    assert "No schedule is called" in json.dumps(team.stub.wait_for("response_url", 3)[-1].body)


def test_a_channel_with_two_schedules_gets_both_tables(team, slack_http):
    """Each schedule's table has its own block ids: Slack refuses a message that repeats one."""
    add_platform(team.ctx, name="Database")
    slack_http.command("fairness", channel_id="C1", response_url=team.response_url)
    body = team.stub.wait_for("response_url")[-1].body
    text = json.dumps(body, ensure_ascii=False)
    assert "*Platform*" in text and "*Database*" in text
    assert team.stub.refusals == []
