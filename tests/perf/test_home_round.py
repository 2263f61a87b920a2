"""Issue 16: App Home in a sync round. Every changed schedule used to re-publish the Home tab of
every member of the workspace, each publish querying every schedule: members × N² queries. Now
a round publishes once per person of a workspace with changes, and all those Home tabs are built
from a fixed number of SQL statements, whatever the number of people and schedules."""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from slack_sdk import WebClient
from sqlalchemy import event

from bot.notify.home import publish_homes
from tests.plugins.world import PEOPLE, Clock, add_world, install_fake_assignments, make_ctx
from tests.sync_io.fakes import T0, FakePagerDuty

SCHEDULES = 3


@pytest.fixture(autouse=True)
def fake_assignments(monkeypatch):
    install_fake_assignments(monkeypatch)


@contextlib.contextmanager
def counting(engine):
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _worlds(ctx, router, clock, n: int) -> None:
    for i in range(n):
        FakePagerDuty(router, clock, schedule_id=f"PSCHED{i}")
        add_world(ctx, weeks=4, name=f"Schedule {i}", provider_schedule_id=f"PSCHED{i}", channel_id=None)


def test_a_round_publishes_each_home_once(engine, slack_stub, conformant_respx, job_module):
    clock = Clock(T0 + timedelta(days=2, hours=3))
    for uid, name, email in PEOPLE:
        slack_stub.add_user(uid, name=name, email=email)
    with httpx.HTTPTransport() as http:
        ctx = make_ctx(engine, clock, http)
        _worlds(ctx, conformant_respx, clock, SCHEDULES)
        client = WebClient(token="xoxb-test-token", base_url=slack_stub.api_url)
        reports = job_module.sync_all(ctx, client)
    assert len(reports) == SCHEDULES and all(r.changed for r in reports)
    published = Counter(c.body["user_id"] for c in slack_stub.calls("views.publish"))
    assert published == Counter({uid: 1 for uid, _, _ in PEOPLE})


def _statements_to_publish(engine, slack_stub, router, schedules: int, people: list[str]) -> int:
    clock = Clock(T0 + timedelta(days=2, hours=3))
    with httpx.HTTPTransport() as http:
        ctx = make_ctx(engine, clock, http)
        _worlds(ctx, router, clock, schedules)
        client = WebClient(token="xoxb-test-token", base_url=slack_stub.api_url)
        with counting(engine) as seen:
            assert publish_homes(ctx, client, "T1", people) == len(people)
    return len(seen)


def test_home_tabs_take_the_same_statements_for_more_people_and_schedules(tmp_path, slack_stub, conformant_respx):
    from bot.store.db import make_engine, upgrade

    counts = []
    for size, (schedules, people) in enumerate([(1, ["U1"]), (4, ["U1", "U2", "U3"])]):
        engine = make_engine(f"sqlite:///{tmp_path / f'{size}.db'}")
        upgrade(engine)
        counts.append(_statements_to_publish(engine, slack_stub, conformant_respx, schedules, people))
        engine.dispose()
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts
    assert len(slack_stub.calls("views.publish")) == 4
