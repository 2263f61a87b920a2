"""`/oncall pattern <schedule> roles primary|primary,secondary`: parsing, turning the secondary role
on (its shifts are planned, nobody holds both roles) and off (its unexported future goes, exported
shifts and destinations stay and the reply says so)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot.commands.parser import UsageError, tokenize
from bot.commands.pattern import PatternCmd, parse_pattern
from bot.services.pattern import PatternEdit
from bot.store import AuditEvent, Destination, ExportedOverride, Schedule, session_scope
from tests.plugins.world import NOW, PEOPLE, add_people, add_platform, platform_team, shifts
from tests.roles.helpers import assert_nobody_holds_both


@pytest.mark.parametrize(("text", "roles"), [
    ("Platform roles primary,secondary", ("primary", "secondary")),
    ("Platform roles primary secondary", ("primary", "secondary")),
    ("Platform role primary+secondary", ("primary", "secondary")),
    ("Platform roles PRIMARY", ("primary",)),
])
def test_parse_roles(text, roles):
    assert parse_pattern(tokenize(text)) == PatternCmd("Platform", PatternEdit(roles=roles))


@pytest.mark.parametrize("text", ["Platform roles secondary", "Platform roles primary,tertiary",
                                  "Platform roles primary,primary", "Platform roles"])
def test_parse_roles_errors(text):
    with pytest.raises(UsageError) as err:
        parse_pattern(tokenize(text))
    assert "roles" in err.value.message


@pytest.fixture
def team(slack):
    return platform_team(slack)


def reply(slack, n: int = 1) -> str:
    return json.dumps(slack.stub.wait_for("response_url", n)[-1].body, ensure_ascii=False)


def future(rows, role):
    return [s for s in rows if s.role == role and s.end > NOW]


def test_turning_the_secondary_role_on_and_off(team, slack_http):
    assert future(shifts(team.ctx, team.schedule_id), "secondary") == []
    slack_http.command("pattern Platform roles primary,secondary", user_id="U9", response_url=team.response_url)
    text = reply(team)
    assert "roles primary → primary, secondary" in text and "Roles: primary, secondary" in text
    assert "exported nowhere yet" in text and "/oncall edit Platform" in text
    rows = shifts(team.ctx, team.schedule_id)
    primary, secondary = future(rows, "primary"), future(rows, "secondary")
    assert secondary and [(s.start, s.end) for s in secondary] == [(s.start, s.end) for s in primary]
    assert f"Secondary shifts assigned: {len(secondary)}" in text
    assert_nobody_holds_both(rows)
    with session_scope(team.ctx.engine) as s:
        assert s.get(Schedule, team.schedule_id).roles == "primary,secondary"
        assert "roles primary → primary, secondary" in s.exec(select(AuditEvent)).all()[-1].detail

    # two secondary shifts are exported to a secondary destination; then the role is turned off
    exported = [sh for sh in secondary if sh.start > NOW][:2]
    with session_scope(team.ctx.engine) as s:
        dest = Destination(team_id="T1", schedule_id=team.schedule_id, role="secondary", connection_id=1,
                           provider_schedule_id="PS2", provider_schedule_name="Platform backup")
        s.add(dest)
        s.flush()
        for sh in exported:
            s.add(ExportedOverride(team_id="T1", destination_id=dest.id, shift_id=sh.id, override_id=f"O{sh.id}",
                                   user_id="P", start=sh.start, end=sh.end, version=sh.version))
    slack_http.command("pattern Platform roles primary", user_id="UADM", response_url=team.response_url)
    text = reply(team, 2)
    in_progress = [sh for sh in secondary if sh.start <= NOW]
    kept = len(exported) + len(in_progress)
    assert "roles primary, secondary → primary" in text
    assert f"Removed {len(secondary) - kept} secondary shift(s) that were not exported yet" in text
    assert f"{kept} secondary shift(s) already exported or started stay until they end" in text
    assert "Secondary destinations kept: Platform backup" in text and "get nothing new" in text
    rows = shifts(team.ctx, team.schedule_id)
    assert {sh.id for sh in future(rows, "secondary")} == {sh.id for sh in [*exported, *in_progress]}
    assert [(s.start, s.member_id) for s in future(rows, "primary")] == [(s.start, s.member_id) for s in primary]
    with session_scope(team.ctx.engine) as s:
        assert s.get(Schedule, team.schedule_id).roles == "primary"
        assert s.exec(select(Destination).where(Destination.role == "secondary")).one()

    slack_http.command("pattern Platform roles primary", user_id="U9", response_url=team.response_url)
    assert "nothing to change" in reply(team, 3)


def test_a_secondary_destination_is_named_when_turning_the_role_on(team, slack_http):
    with session_scope(team.ctx.engine) as s:
        s.add(Destination(team_id="T1", schedule_id=team.schedule_id, role="secondary", connection_id=1,
                          provider_schedule_id="PS2", provider_schedule_name="Platform backup"))
    slack_http.command("pattern Platform roles primary,secondary", user_id="U9", response_url=team.response_url)
    assert "the next sync exports them to Platform backup" in reply(team)


def test_secondary_needs_two_people_and_a_manager(slack, slack_http):
    add_people(slack.stub)
    slack.ctx.clock = lambda: NOW
    sid = add_platform(slack.ctx, people=PEOPLE[:1])
    slack_http.command("pattern Platform roles primary,secondary", user_id="U4", response_url=slack.response_url)
    assert "Only this schedule's managers" in reply(slack)
    slack_http.command("pattern Platform roles primary,secondary", user_id="U9", response_url=slack.response_url)
    assert "needs at least two members" in reply(slack, 2)
    with session_scope(slack.ctx.engine) as s:
        assert s.get(Schedule, sid).roles == "primary"
    assert future(shifts(slack.ctx, sid), "secondary") == []
