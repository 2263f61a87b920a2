"""Notification tests: the Platform schedule (Europe/Berlin) with Alice (U1, Berlin), Bob (U2, New York)
and Carol (U3, London), weekly shifts handed over on Mondays at 09:00 Berlin time around the
switch to summer time (Sun 29 Mar 2026): Bob until Mon 30 Mar 07:00 UTC, then Alice, then Bob.
Slack is the stub (Slack's rules enforced); the clock is fake."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.store import Member, Shift, session_scope
from tests.plugins.world import Clock, add_world, make_ctx

WEEKS = [datetime(2026, 3, 23, 8, tzinfo=UTC), datetime(2026, 3, 30, 7, tzinfo=UTC),
         datetime(2026, 4, 6, 7, tzinfo=UTC), datetime(2026, 4, 13, 7, tzinfo=UTC)]
HOLDERS = ["U2", "U1", "U2", "U1"]
ZONES = {"U1": "Europe/Berlin", "U2": "America/New_York", "U3": "Europe/London", "UMGR": "Europe/Berlin"}


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 29, 12, tzinfo=UTC))


@pytest.fixture
def client(slack_stub) -> WebClient:
    for uid, tz in ZONES.items():
        slack_stub.add_user(uid, name=uid.lower(), email=f"{uid.lower()}@example.com", tz=tz)
    slack_stub.add_channel("C1")
    return WebClient(token="xoxb-test", base_url=slack_stub.api_url)


@pytest.fixture
def ctx(engine, clock):
    with httpx.Client() as http:
        yield make_ctx(engine, clock, http)


def add_platform(ctx, **kw) -> int:
    """The schedule and its four shifts; returns the schedule id."""
    world = add_world(ctx, weeks=0, managers="UMGR", **kw)
    with session_scope(ctx.engine) as session:
        members = {m.slack_user_id: m.id
                   for m in session.exec(select(Member).where(Member.schedule_id == world.schedule_id))}
        for i, (start, holder) in enumerate(zip(WEEKS, HOLDERS, strict=True)):
            end = WEEKS[i + 1] if i + 1 < len(WEEKS) else start.replace(day=20)
            session.add(Shift(team_id="T1", schedule_id=world.schedule_id, start=start, end=end,
                              member_id=members[holder]))
    return world.schedule_id


@pytest.fixture
def platform(ctx) -> int:
    return add_platform(ctx)
