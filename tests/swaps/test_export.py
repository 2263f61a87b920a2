"""The immediate re-export after a swap or undo: only the moved shifts' overrides change, with
exactly these provider requests (PagerDuty and Opsgenie on respx, checked against the specs)."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from bot.notify.swaps import reexport
from bot.services import swaps
from bot.services.swaps import answer, execute, store
from bot.sync.engine import sync_schedule
from tests.plugins.world import add_world
from tests.providers.fixtures import og_error, pd_error
from tests.swaps.helpers import query, submit
from tests.sync_io.fakes import T0, FakeOpsgenie, FakePagerDuty


def calls(fake) -> list[str]:
    """`METHOD path` of every request since the log was cleared (query strings left out)."""
    return [f"{r.method} {r.url.path}" for r in fake.log]


def swapped(ctx, world, clock) -> swaps.SwapInfo:
    info = submit(ctx, query())
    answer.accept(ctx.engine, "T1", info.id, "U2", clock())
    return store.get_info(ctx.engine, "T1", info.id)


def test_pagerduty_swap_reexport_is_one_read_one_bulk_create_two_deletes(ctx, clock, conformant_respx):
    pd = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=5, managers="UMGR")
    sync_schedule(ctx, world.schedule_id)
    before = {o.start: o for o in pd.live()}
    pd.log.clear()
    info = swapped(ctx, world, clock)
    lines = reexport(ctx, None, info)
    assert lines == [":white_check_mark: PagerDuty · Platform primary: updated 2 overrides"]
    bulk = [r for r in pd.log if r.method == "POST"]
    # one schedule read (its override layer is the bot's records, so it stands in for the
    # listing); afterwards only the bot's overrides cover the range: what pages follows from them
    assert calls(pd) == [
        "GET /schedules/PSCHED1",
        "POST /schedules/PSCHED1/overrides",
        f"DELETE /schedules/PSCHED1/overrides/{before[T0 + timedelta(days=7)].id}",
        f"DELETE /schedules/PSCHED1/overrides/{before[T0 + timedelta(days=14)].id}",
    ]
    created = json.loads(bulk[0].content)["overrides"]
    assert [(o["user"]["id"], o["start"]) for o in created] == [("PU1", "2026-11-09T09:00:00Z"),
                                                                ("PU2", "2026-11-16T09:00:00Z")]
    assert [o.user_id for o in pd.live()] == ["PU1", "PU1", "PU2", "PU2", "PU1"]
    untouched = {o.id for o in pd.live()} & {o.id for o in before.values()}
    assert len(untouched) == 3  # the other shifts' overrides were left alone
    print(f"\nPagerDuty requests for one swap: {len(pd.log)} ({len(pd.writes())} writes): {calls(pd)}")


def test_opsgenie_swap_reexport_creates_and_deletes_per_override(ctx, clock, conformant_respx):
    og = FakeOpsgenie(conformant_respx, clock)
    world = add_world(ctx, provider="opsgenie", weeks=5, managers="UMGR")
    sync_schedule(ctx, world.schedule_id)
    before = {o.start: o.id for o in og.live()}
    og.log.clear()
    info = swapped(ctx, world, clock)
    assert reexport(ctx, None, info) == [":white_check_mark: Opsgenie · Platform primary: updated 2 overrides"]
    base = "/v2/schedules/og-sched-1"
    assert calls(og) == [
        f"GET {base}/overrides", f"POST {base}/overrides", f"POST {base}/overrides",
        f"DELETE {base}/overrides/{before[T0 + timedelta(days=7)]}",
        f"DELETE {base}/overrides/{before[T0 + timedelta(days=14)]}",
    ]  # (only the bot's overrides cover the range: the timeline is not read)
    assert [o.user_id for o in og.live()] == ["og-u1", "og-u1", "og-u2", "og-u2", "og-u1"]
    print(f"\nOpsgenie requests for one swap: {len(og.log)} ({len(og.writes())} writes): {calls(og)}")


def test_undo_reexports_and_restores_who_is_paged(ctx, clock, conformant_respx):
    pd = FakePagerDuty(conformant_respx, clock)
    world = add_world(ctx, weeks=5, managers="UMGR")
    sync_schedule(ctx, world.schedule_id)
    info = swapped(ctx, world, clock)
    reexport(ctx, None, info)
    pd.log.clear()
    undone = execute.undo(ctx.engine, "T1", "U1", info.id, admin=lambda: False, now=clock())
    assert reexport(ctx, None, undone) == [":white_check_mark: PagerDuty · Platform primary: updated 2 overrides"]
    assert [r.method for r in pd.writes()] == ["POST", "DELETE", "DELETE"]
    assert [o.user_id for o in pd.live()] == ["PU1", "PU2", "PU1", "PU2", "PU1"]


@pytest.mark.parametrize("provider", ["pagerduty", "opsgenie"])
def test_a_failing_destination_is_named_and_the_job_retries(ctx, clock, conformant_respx, provider):
    fake = (FakePagerDuty if provider == "pagerduty" else FakeOpsgenie)(conformant_respx, clock)
    world = add_world(ctx, provider=provider, weeks=5, managers="UMGR")
    sync_schedule(ctx, world.schedule_id)
    info = swapped(ctx, world, clock)
    err = pd_error(2000, "Internal error") if provider == "pagerduty" else og_error("Internal error")
    fake.fail = lambda r: httpx.Response(503, json=err) if r.method == "POST" else None
    lines = reexport(ctx, None, info)
    label = "PagerDuty" if provider == "pagerduty" else "Opsgenie"
    assert len(lines) == 1 and lines[0].startswith(f":warning: {label} · Platform primary: not updated")
    assert "retries at its next sync" in lines[0]
    fake.fail = None
    clock.advance(minutes=15)
    d = sync_schedule(ctx, world.schedule_id).destinations[0]  # the job's next run
    assert d.error is None and d.created == 2
    first = "PU1" if provider == "pagerduty" else "og-u1"
    second = "PU2" if provider == "pagerduty" else "og-u2"
    assert [o.user_id for o in fake.live()] == [first, first, second, second, first]
