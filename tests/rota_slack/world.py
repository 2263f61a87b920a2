"""A team for the rota Slack tests: Platform (Europe/Berlin, daily 09:00 handoffs) with Alice (U1),
Bob (U2) and Carol (U3), manager U9, admin UADM, outsider U4; shifts assigned up to 14 days."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.context import Context
from bot.store import Connection, Member, Schedule, Shift, session_scope
from bot.sync.assignments import extend_assignments

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)  # a Friday
PEOPLE = [("U1", "Alice Adams", "alice@example.com"), ("U2", "Bob Brown", "bob@example.com"),
          ("U3", "Carol Chen", "carol@example.com")]


def add_people(stub) -> None:
    for uid, name, email in PEOPLE:
        stub.add_user(uid, email=email, name=name.split()[0].lower())
        stub.users[uid]["tz"] = "Europe/Berlin"
    stub.users["U3"]["tz"] = "America/New_York"
    stub.add_user("U4", email="dave@example.com", name="dave")
    stub.add_user("U9", email="mia@example.com", name="mia")
    stub.add_user("UADM", email="root@example.com", name="root", is_admin=True)
    stub.add_channel("C1", is_member=True)


def add_platform(ctx: Context, *, name: str = "Platform", horizon: int = 14, people=PEOPLE,
                 now: datetime = NOW) -> int:
    with session_scope(ctx.engine) as s:
        conn = Connection(team_id="T1", provider="pagerduty", name=f"PD {name}", api_key_encrypted="x",
                          key_hint="…", can_write=True)
        s.add(conn)
        s.flush()
        sched = Schedule(team_id="T1", name=name, connection_id=conn.id, source_schedule_id="PS1",
                         time_zone="Europe/Berlin", horizon_days=horizon, channel_id="C1", managers="U9",
                         pattern_json=json.dumps({"pattern": {"handoff": "09:00", "length_hours": 24}}))
        s.add(sched)
        s.flush()
        for pos, (uid, pname, email) in enumerate(people):
            s.add(Member(team_id="T1", schedule_id=sched.id, slack_user_id=uid, email=email, name=pname,
                         position=pos, joined_at=now - timedelta(days=365)))
        s.flush()
        extend_assignments(ctx, s, sched, now)
        return sched.id


def platform_team(slack):
    """The Slack test env with the people, the clock at NOW and Platform linked (`slack.schedule_id`)."""
    add_people(slack.stub)
    slack.ctx.clock = lambda: NOW
    slack.schedule_id = add_platform(slack.ctx)
    return slack


def shifts(ctx: Context, schedule_id: int) -> list[Shift]:
    with session_scope(ctx.engine) as s:
        return sorted(s.exec(select(Shift).where(Shift.schedule_id == schedule_id)).all(), key=lambda x: x.start)


def member_ids(ctx: Context, schedule_id: int) -> dict[str, int]:
    with session_scope(ctx.engine) as s:
        return {m.slack_user_id: m.id for m in s.exec(select(Member).where(Member.schedule_id == schedule_id))}
