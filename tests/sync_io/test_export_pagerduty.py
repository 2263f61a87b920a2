"""Export to a (respx) PagerDuty schedule: first export, hand edit, re-apply, version bump, days passing."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from bot.sync.engine import sync_schedule
from tests.sync_io.fakes import T0, FakePagerDuty
from tests.sync_io.world import Clock, add_world, destination, make_ctx


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


def test_a_no_op_sync_of_a_90_day_destination_reads_twice(ctx, clock, conformant_respx):
    """Issue 16: the override listing of a 90-day destination (it runs past 90 days to the end
    of the last shift) is one request; with the drift read-back, a run that changes nothing reads
    twice. PagerDuty's `GET /schedules/{id}` carries an overrides sub-schedule, but only rendered
    entries without override ids, which the plan needs: the listing stays."""
    pd = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=14, horizon_days=90)
    sync_schedule(ctx, world.schedule_id)
    pd.log.clear()
    again = sync_schedule(ctx, world.schedule_id).destinations[0]
    assert (again.created, again.deleted) == (0, 0) and again.unchanged >= 13
    listings = pd.requests("GET", "/overrides")
    assert len(listings) == 1
    since, until = (listings[0].url.params[k] for k in ("since", "until"))
    assert since < until and until > (clock.now + timedelta(days=90)).isoformat()[:10]
    assert [r.method for r in pd.log] == ["GET", "GET"]
