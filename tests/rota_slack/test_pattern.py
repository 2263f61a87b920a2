"""`/oncall pattern`: parsing, and edits through signed requests that re-plan the unexported future."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.commands.parser import UsageError, tokenize
from bot.commands.pattern import PatternCmd, parse_pattern
from bot.services.pattern import PatternEdit
from bot.store import Destination, ExportedOverride, Schedule, session_scope
from tests.plugins.world import NOW, platform_team, shifts

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("text", "cmd"), [
    ("Platform", PatternCmd("Platform")),
    ("Platform primary handoff 10:00", PatternCmd("Platform primary", PatternEdit(handoff=time(10)))),
    ("Platform length 12h tz America/New_York", PatternCmd("Platform", PatternEdit(length_hours=12,
                                                                                   time_zone="America/New_York"))),
    ("Platform length 7d split-weekend on", PatternCmd("Platform", PatternEdit(length_hours=168, split_weekend=True))),
    ("Platform length weekly", PatternCmd("Platform", PatternEdit(length_hours=168))),
    ("Platform holidays 2026-12-25,2027-01-01", PatternCmd("Platform", PatternEdit(
        holidays=(date(2026, 12, 25), date(2027, 1, 1))))),
    ("Platform holidays 2026-12-25 2026-12-26", PatternCmd("Platform", PatternEdit(
        holidays=(date(2026, 12, 25), date(2026, 12, 26))))),
    ("Platform holidays none", PatternCmd("Platform", PatternEdit(holidays=()))),
    ("Platform handoff 9", PatternCmd("Platform", PatternEdit(handoff=time(9)))),
])
def test_parse(text, cmd):
    assert parse_pattern(tokenize(text)) == cmd


@pytest.mark.parametrize(("text", "says"), [
    ("", "Missing the schedule"),
    ("Platform handoff", "needs a value"),
    ("Platform handoff 25:00", "time of day"),
    ("Platform length 5x", "not a shift length"),
    ("Platform length 0h", "between 1 hour"),
    ("Platform tz Mars/Olympus", "not a time zone"),
    ("Platform split-weekend maybe", "`on` or `off`"),
    ("Platform holidays 12/25", "not a date"),
    ("Platform handoff 09:00 handoff 10:00", "given twice"),
])
def test_parse_errors(text, says):
    with pytest.raises(UsageError) as err:
        parse_pattern(tokenize(text))
    assert says in err.value.message


@pytest.fixture
def team(slack):
    return platform_team(slack)


def reply(slack, n: int = 1) -> str:
    return json.dumps(slack.stub.wait_for("response_url", n)[-1].body, ensure_ascii=False)


def test_show_and_refuse(team, slack_http):
    slack_http.command("pattern Platform", user_id="U4", response_url=team.response_url)
    text = reply(team)
    assert "Handoff: 09:00 (Europe/Berlin)" in text and "1 day (daily)" in text
    slack_http.command("pattern Platform handoff 10:00", user_id="U4", response_url=team.response_url)
    assert "Only this schedule's managers" in reply(team, 2)


def test_a_manager_edits_the_pattern_and_the_unexported_future_is_planned_again(team, slack_http):
    before = shifts(team.ctx, team.schedule_id)
    exported = [s for s in before if s.start > NOW][:2]
    with session_scope(team.ctx.engine) as s:
        dest = Destination(team_id="T1", schedule_id=team.schedule_id, connection_id=1, provider_schedule_id="PS1")
        s.add(dest)
        s.flush()
        for sh in exported:
            s.add(ExportedOverride(team_id="T1", destination_id=dest.id, shift_id=sh.id, override_id=f"O{sh.id}",
                                   user_id="P", start=sh.start, end=sh.end, version=sh.version))
    slack_http.command("pattern Platform handoff 10:00 length 12h holidays 2026-12-08", user_id="U9",
                       response_url=team.response_url)
    text = reply(team)
    assert "handoff 09:00 → 10:00" in text and "length 1 day (daily) → 12 hours" in text
    assert "holidays 2026-12-08" in text and "Planned again" in text
    after = shifts(team.ctx, team.schedule_id)
    kept = {s.id: (s.start, s.end, s.member_id) for s in after}
    assert all(kept[s.id] == (s.start, s.end, s.member_id) for s in exported), "exported shifts keep their times"
    later = [s for s in after if s.start >= exported[-1].end]
    assert later and all((s.end - s.start) == timedelta(hours=12) for s in later[1:-1])
    assert {s.start.astimezone(BERLIN).time() for s in later[1:]} == {time(10), time(22)}
    for a, b in zip(after, after[1:], strict=False):
        assert a.end == b.start, "no gap, no overlap"
    with session_scope(team.ctx.engine) as s:
        sched = s.get(Schedule, team.schedule_id)
        assert json.loads(sched.pattern_json)["pattern"] == {"handoff": "10:00", "length_hours": 12.0}
        assert sched.holidays == "2026-12-08"
    slack_http.command("pattern Platform handoff 10:00", user_id="UADM", response_url=team.response_url)
    assert "nothing to change" in reply(team, 2)


def test_time_zone_and_weekend_split(team, slack_http):
    slack_http.command("pattern Platform tz America/New_York split-weekend on", user_id="UADM",
                       response_url=team.response_url)
    text = reply(team)
    assert "time zone Europe/Berlin → America/New_York" in text and "weekend split on" in text
    ny = ZoneInfo("America/New_York")
    later = [s for s in shifts(team.ctx, team.schedule_id) if s.start > NOW + timedelta(days=1)]
    assert {s.start.astimezone(ny).time() for s in later} == {time(9)}
    with session_scope(team.ctx.engine) as s:
        assert s.exec(select(Schedule)).one().time_zone == "America/New_York"
