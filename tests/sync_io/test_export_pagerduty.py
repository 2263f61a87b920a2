"""Export to a (respx) PagerDuty schedule: first export, hand edit, re-apply, version bump, days passing."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from bot.sync.engine import sync_schedule
from tests.plugins.world import Clock, add_world, destination, make_ctx
from tests.sync_io.fakes import T0, FakePagerDuty


@pytest.fixture
def clock():
    return Clock(T0 + timedelta(days=2, hours=3))  # Wednesday of the first shift


@pytest.fixture
def ctx(engine, clock):
    with httpx.HTTPTransport() as http:
        yield make_ctx(engine, clock, http)


def test_first_export_one_bulk_request_and_rerun_is_quiet(ctx, clock, conformant_respx):
    pd = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=5)
    report = sync_schedule(ctx, world.schedule_id)
    d = report.destinations[0]
    assert (d.created, d.deleted, d.adopted) == (5, 0, 0), d
    assert d.status == "ok" and d.error is None
    posts = pd.requests("POST")
    assert len(posts) == 1 and len(json.loads(posts[0].content)["overrides"]) == 5
    assert destination(ctx, world.destination_id).exported_until == T0 + timedelta(days=35)
    # the in-progress shift starts now; Alice and Bob alternate
    live = pd.live()
    assert live[0].start == clock.now and live[0].user_id == "PU1"
    assert [o.user_id for o in live] == ["PU1", "PU2", "PU1", "PU2", "PU1"]
    pd.log.clear()
    again = sync_schedule(ctx, world.schedule_id).destinations[0]
    assert (again.created, again.deleted, again.adopted, again.unchanged) == (0, 0, 0, 5)
    assert pd.writes() == []


def test_a_no_op_sync_of_a_90_day_destination_reads_once(ctx, clock, conformant_respx):
    """Issue 16: PagerDuty's `GET /schedules/{id}` with `since`/`until` over the listing window
    (past 90 days, to the end of the last shift) carries the final schedule and the overrides
    sub-schedule. When that layer is exactly the bot's records, they stand in for the listing
    (whose override ids the plan needs) and the final schedule for the drift read-back."""
    pd = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=14, horizon_days=90)
    sync_schedule(ctx, world.schedule_id)
    pd.log.clear()
    again = sync_schedule(ctx, world.schedule_id).destinations[0]
    assert (again.created, again.deleted) == (0, 0) and again.unchanged >= 13 and again.status == "ok"
    assert [(r.method, r.url.path) for r in pd.log] == [("GET", "/schedules/PSCHED1")]
    since, until = (pd.log[0].url.params[k] for k in ("since", "until"))
    assert since < until and until > (clock.now + timedelta(days=90)).isoformat()[:10]


def test_a_hand_edit_sends_the_sync_back_to_the_listing(ctx, clock, conformant_respx):
    """The override layer no longer matches the records: the overrides are listed (the plan
    needs their ids) and the hand edit beyond the mark is swept. After the writes only the bot's
    overrides cover the exported range, one after another, so what pages follows from them."""
    pd = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=5, horizon_days=21)
    sync_schedule(ctx, world.schedule_id)
    mark = sync_schedule(ctx, world.schedule_id).destinations[0].exported_until
    hand = pd.hand_override("PU3", mark + timedelta(days=1), mark + timedelta(days=2))
    clock.advance(days=7)
    pd.log.clear()
    report = sync_schedule(ctx, world.schedule_id).destinations[0]
    assert report.created >= 1 and report.deleted == 1
    assert hand not in {o.id for o in pd.live()}
    reads = [r.url.path for r in pd.log if r.method == "GET"]
    assert reads == ["/schedules/PSCHED1", "/schedules/PSCHED1/overrides"]


def test_a_hand_edit_before_the_mark_is_read_back_from_the_final_schedule(ctx, clock, conformant_respx):
    pd = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=5, horizon_days=21)
    sync_schedule(ctx, world.schedule_id)
    pd.hand_override("PU3", clock.now + timedelta(days=3), clock.now + timedelta(days=3, hours=4))
    pd.log.clear()
    report = sync_schedule(ctx, world.schedule_id).destinations[0]
    assert (report.created, report.deleted) == (0, 0) and report.drifting == 1
    reads = [r.url.path for r in pd.log if r.method == "GET"]
    assert reads == ["/schedules/PSCHED1", "/schedules/PSCHED1/overrides", "/schedules/PSCHED1"]


def test_a_sync_that_only_adds_the_bots_overrides_reads_once(ctx, clock, conformant_respx):
    pd = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=5, horizon_days=21)
    sync_schedule(ctx, world.schedule_id)
    clock.advance(days=7)
    pd.log.clear()
    report = sync_schedule(ctx, world.schedule_id).destinations[0]
    assert report.created == 1 and report.status == "ok"
    assert [(r.method, r.url.path) for r in pd.log] == [
        ("GET", "/schedules/PSCHED1"), ("POST", "/schedules/PSCHED1/overrides")]


def test_a_no_op_sync_reads_the_exported_overrides_once(ctx, clock, conformant_respx, engine):
    """Issue 16 (CPU of a no-work round): the destination's records and intents come from one
    query, and the read-back reuses them when the run wrote nothing (it used to query 4 times)."""
    from sqlalchemy import event

    FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=5, horizon_days=21)
    sync_schedule(ctx, world.schedule_id)
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "FROM exportedoverride" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        again = sync_schedule(ctx, world.schedule_id).destinations[0]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (again.created, again.deleted, again.status) == (0, 0, "ok")
    assert len(seen) == 1, seen



def test_a_no_work_sync_reads_once_per_table_and_writes_only_when_it_was(ctx, clock, conformant_respx, engine):
    """Issue 16 (CPU per destination): a run with nothing to do reads each destination's state in
    one pass (the destination with its connection, shifts, members, cached users, records, drift
    alerts: each once) and writes nothing but `last_sync_at`, which `/oncall status` shows: one
    UPDATE for all of the schedule's unchanged destinations. It used to read the destination,
    schedule and drift alerts again per step and write each destination in its own transaction."""
    from sqlalchemy import event

    from bot.store import Connection, Destination, session_scope
    from tests.plugins.world import OG_KEY, OG_USERS, USERS
    from tests.sync_io.fakes import FakeOpsgenie

    FakePagerDuty(conformant_respx, clock)
    og = FakeOpsgenie(conformant_respx, clock, users=dict(zip(OG_USERS, USERS.values(), strict=True)))
    world = add_world(ctx, weeks=5, horizon_days=21)
    with session_scope(ctx.engine) as session:
        conn = Connection(team_id="T1", provider="opsgenie", region="us", name="Acme OG",
                          api_key_encrypted=ctx.keys.encrypt(OG_KEY), key_hint="…cccc", can_write=True)
        session.add(conn)
        session.flush()
        session.add(Destination(team_id="T1", schedule_id=world.schedule_id, connection_id=conn.id,
                                provider_schedule_id=og.schedule_id, provider_schedule_name="Platform (OG)"))
    first = sync_schedule(ctx, world.schedule_id)
    ids = [d.destination_id for d in first.destinations]
    before = [destination(ctx, i) for i in ids]
    clock.advance(hours=1)
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", count)
    try:
        again = sync_schedule(ctx, world.schedule_id).destinations
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [(d.created, d.deleted, d.status) for d in again] == [(0, 0, "ok")] * 2
    writes = [s for s in seen if not s.startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith("UPDATE destination SET last_sync_at"), writes
    reads = [s.split(" FROM ")[1].split()[0] for s in seen if s.startswith("SELECT")]
    per_destination = {t: reads.count(t) for t in ("exportedoverride", "driftalert", "connection", "schedule")}
    assert per_destination == {"exportedoverride": 2, "driftalert": 2, "connection": 0, "schedule": 1}, reads
    assert reads.count("destination") == 3, reads  # the schedule's list, then each with its connection
    for was, i in zip(before, ids, strict=True):
        now = destination(ctx, i)
        assert now.last_sync_at == clock.now and was.last_sync_at < clock.now
        assert (now.status, now.last_error, now.exported_until) == (was.status, was.last_error, was.exported_until)
