"""Smaller pieces: the scheduler job, the token bucket, PagerDuty chunking, status words, views."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from bot.ids import SyncButtonId
from bot.store.models import DestinationStatus
from bot.sync.engine import sync_schedule
from bot.sync.export import restrict
from bot.sync.plan import PlanLine
from bot.sync.ratelimit import ThrottledClient, TokenBucket
from bot.sync.report import DestinationReport, SyncReport
from bot.sync.status import StatusInput, destination_status
from bot.views.drift import DriftAlertModel, DriftLine, drift_alert_message, outage_message, recovered_message
from bot.views.sync import sync_message
from tests.plugins.world import Clock, add_world, make_ctx
from tests.slack.blockkit import assert_message
from tests.sync_io.fakes import T0, FakePagerDuty

NOW = T0 + timedelta(days=2, hours=3)


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def ctx(engine, clock):
    with httpx.HTTPTransport() as http:
        yield make_ctx(engine, clock, http)


# ---------------------------------------------------------------- job


def test_scheduler_runs_every_interval_without_overlap(ctx, job_module):
    scheduler = job_module.start_scheduler(ctx, None, start=False)
    job = scheduler.get_job(job_module.JOB_ID)
    assert job.trigger.interval == timedelta(minutes=ctx.settings.sync_interval_minutes)
    assert job.max_instances == 1 and job.coalesce is True


def test_sync_all_runs_every_schedule_of_every_team(ctx, clock, conformant_respx, job_module):
    fakes = [FakePagerDuty(conformant_respx, clock, schedule_id=f"PS{i}") for i in range(3)]
    for i in range(3):
        add_world(ctx, name=f"S{i}", provider_schedule_id=f"PS{i}", team_id=f"T{i % 2}", weeks=3)
    reports = job_module.sync_all(ctx, None, workers=2)
    assert sorted(r.schedule_name for r in reports) == ["S0", "S1", "S2"]
    assert all(len(f.live()) == 5 for f in fakes)  # 3 shifts + 2 from the extension to 28 days


# ---------------------------------------------------------------- rate limit


def test_token_bucket_paces_after_the_burst():
    now = [0.0]
    waits: list[float] = []
    bucket = TokenBucket(rate=16.0, capacity=3, clock=lambda: now[0], sleep=waits.append)
    for _ in range(3):
        assert bucket.take() == 0
    assert bucket.take() == pytest.approx(1 / 16)
    assert bucket.take() == pytest.approx(2 / 16)
    now[0] = 10.0  # refilled (capped at capacity)
    assert bucket.take() == 0
    assert waits == [pytest.approx(1 / 16), pytest.approx(2 / 16)]


def test_every_provider_request_takes_a_token(ctx, clock, conformant_respx, monkeypatch):
    fake = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=2)
    taken = []
    monkeypatch.setattr(ThrottledClient, "request",
                        lambda self, *a, **kw: (taken.append(a[1]), self._client.request(*a, **kw))[1])
    sync_schedule(ctx, world.schedule_id)
    assert len(taken) == len(fake.log) > 0


# ---------------------------------------------------------------- PagerDuty chunks


def test_pagerduty_creates_are_chunked_and_committed_per_batch(ctx, clock, conformant_respx):
    fake = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=0, horizon_days=90)
    # daily shifts: 90 of them -> two bulk requests (50 + 40)
    from bot.store import Member, Schedule, Shift, session_scope

    with session_scope(ctx.engine) as session:
        sched = session.get(Schedule, world.schedule_id)
        members = session.exec(select(Member).where(Member.schedule_id == sched.id)).all()
        for i in range(90):
            start = T0 + timedelta(days=i)
            session.add(Shift(team_id="T1", schedule_id=sched.id, start=start, end=start + timedelta(days=1),
                              member_id=members[i % 2].id))
    d = sync_schedule(ctx, world.schedule_id).destinations[0]
    sizes = [len(json.loads(r.content)["overrides"]) for r in fake.requests("POST")]
    assert sum(sizes) == d.created and sizes[0] == 50 and len(sizes) >= 2
    assert d.status == "ok"


# ---------------------------------------------------------------- restrict


def test_restrict_keeps_only_those_shifts_items(ctx, clock, conformant_respx):
    from bot.providers.base import OverrideRequest
    from bot.sync.model import Plan, PlannedCreate, PlannedDelete
    from bot.sync.plan import CreateReason, DeleteReason

    req = OverrideRequest("PU1", NOW, NOW + timedelta(days=1), "a1")
    plan = Plan(
        creates=(PlannedCreate("1", 2, req, CreateReason.CHANGED, False),
                 PlannedCreate("2", 1, OverrideRequest("PU2", NOW, NOW, "a2"), CreateReason.NEW, True)),
        deletes=(PlannedDelete("o1", "PU1", NOW, NOW, DeleteReason.OUTDATED, False, shift_id="1"),
                 PlannedDelete("h1", "PU3", NOW, NOW, DeleteReason.PRE_EXISTING, True)),
        exported_until=NOW, new_exported_until=NOW + timedelta(days=9), steps=((NOW, NOW),),
    )
    cut = restrict(plan, {"1"})
    assert [c.shift_id for c in cut.creates] == ["1"]
    assert [d.override_id for d in cut.deletes] == ["o1"]
    assert cut.steps == () and cut.new_exported_until == NOW


# ---------------------------------------------------------------- status


@pytest.mark.parametrize(("unexported", "mark", "read_only", "expected"), [
    ([], None, None, DestinationStatus.PENDING),
    ([], NOW, None, DestinationStatus.OK),
    ([NOW + timedelta(days=5)], NOW, None, DestinationStatus.WARNING),
    ([NOW + timedelta(days=1)], NOW, None, DestinationStatus.ERROR),
    ([NOW - timedelta(hours=1)], None, None, DestinationStatus.ERROR),
    ([NOW], NOW, "read-only key", DestinationStatus.READ_ONLY),
])
def test_destination_status(unexported, mark, read_only, expected):
    status, error = destination_status(StatusInput(NOW, mark, unexported, ["x failed"], read_only))
    assert status is expected
    if expected is not DestinationStatus.PENDING and expected is not DestinationStatus.OK:
        assert error


# ---------------------------------------------------------------- views


def _dt(day: int) -> datetime:
    return datetime(2026, 11, day, 9, tzinfo=UTC)


def test_views_are_valid_block_kit():
    line = DriftLine(_dt(9), _dt(16), "<@U2>", ("<@U3>",), ("hand_override",))
    model = DriftAlertModel(7, "Platform", "Europe/Berlin", "Platform (PagerDuty · Acme)", (line,))
    msg = drift_alert_message(model)
    assert_message(msg)
    ids = [e["action_id"] for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids == [SyncButtonId.DRIFT_REAPPLY, SyncButtonId.DRIFT_KEEP]
    assert "Mon 9 Nov 10:00 → Mon 16 Nov 10:00" in json.dumps(msg["blocks"], ensure_ascii=False)
    for state in ("resolved", "kept", "reapplied"):
        done = drift_alert_message(DriftAlertModel(7, "P", "UTC", "D", (line,), state, "U1"))
        assert_message(done)
        assert not [b for b in done["blocks"] if b["type"] == "actions"]
    assert_message(outage_message("P", "D", _dt(9), "PagerDuty failed (503)"))
    assert_message(recovered_message("P", "D"))
    dest = DestinationReport(1, "D (PagerDuty · A)", created=2, deleted=1, unchanged=3, exported_until=_dt(30),
                             status="warning", error="Bob has no account", drifting=1,
                             lines=(PlanLine("create", "PU1", _dt(9), _dt(16), "new", "1"),),
                             names={"PU1": "<@U1>"})
    assert_message(sync_message([SyncReport(1, "P", "UTC", (dest,), assigned=2)]))
    dry = sync_message([SyncReport(1, "P", "UTC", (dest,), dry_run=True)])
    assert_message(dry)
    assert "create <@U1>" in json.dumps(dry["blocks"])
    assert_message(sync_message([SyncReport(1, "P", skipped="another sync of this schedule is running")]))
    assert_message(sync_message([]))
