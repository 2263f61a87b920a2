"""Regressions for what the fault simulation found (seed and steps in each docstring)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from bot.store import Member, Schedule, Shift, session_scope
from bot.store.shifts import reassign_shift
from bot.sync.assignments import extend_assignments
from bot.sync.engine import sync_schedule
from bot.sync.plan import DeleteReason, listing_window, override_alias, plan_export
from tests.faultsim.driver import Simulation
from tests.faultsim.faults import Crash
from tests.faultsim.invariants import check_exported, stray_overrides
from tests.sync.helpers import h, override, record, shift

WEEK = [shift(f"s{i}", "ab"[i % 2], 24 * i, 24 * (i + 1)) for i in range(7)]


def test_a_changed_shift_before_the_mark_but_past_a_shrunk_horizon_is_re_exported():
    """Seed 2: horizon 14 → 7 days, then a swap of a shift 10 days out (exported, before the
    mark): the old override was deleted and no new one created, so the base rotation paged."""
    exported = [record(s, f"O{s.shift_id}") for s in WEEK]
    remote = [override(f"O{s.shift_id}", s.user_id, 24 * i, 24 * (i + 1)) for i, s in enumerate(WEEK)]
    swapped = [*WEEK[:5], shift("s5", "c", 120, 144, version=2), WEEK[6]]
    p = plan_export(swapped, exported, remote, h(168), h(1), h(73), destination_key="d")
    assert [(c.shift_id, c.user_id) for c in p.creates] == [("s5", "c")]
    assert [d.override_id for d in p.deletes] == ["Os5"]
    assert p.new_exported_until == h(168), "the mark stays where it was"


def test_the_listing_window_reaches_the_mark():
    assert listing_window(WEEK, h(5), h(50), h(168)) == (h(5), h(168))
    assert listing_window(WEEK, h(5), h(50), None) == (h(5), h(72))


def test_extending_after_a_shrunk_horizon_keeps_a_changed_shift_that_was_exported(sqlite_url, conformant_respx):
    """Seed 1 (bench, 90 days): a shift exported at v1 was moved by time off (v2, its re-export
    failed), then the horizon shrank below it: `extend_assignments` deleted the row while its
    export record pointed at it, the FOREIGN KEY failed and no new shift was assigned that run
    (the provider kept an override for a shift the bot no longer had)."""
    sim = Simulation(5, sqlite_url, conformant_respx)
    sim.run(steps=0)  # the first export: 14 days of daily shifts
    with session_scope(sim.engine) as s:
        row = s.exec(select(Shift).where(Shift.schedule_id == sim.schedule_id).order_by(Shift.start)).all()[10]
        other = s.exec(select(Member).where(Member.id != row.member_id)).first()
        assert reassign_shift(s, row.id, from_member=row.member_id, version=row.version, to_member=other.id,
                              now=sim.clock.now)
        sched = s.get(Schedule, sim.schedule_id)
        sched.horizon_days = 7
        shift_id = row.id
    with session_scope(sim.engine) as s:
        extend_assignments(sim.ctx, s, s.get(Schedule, sim.schedule_id), sim.clock.now)
    with session_scope(sim.engine) as s:
        assert s.get(Shift, shift_id) is not None, "the bot keeps the shift it has exported"
    report = sync_schedule(sim.ctx, sim.schedule_id)
    assert report.assign_error is None
    assert [(d.created, d.deleted) for d in report.destinations] == [(1, 1), (1, 1)], "v2 exported, v1 gone"
    assert report.destinations[0].status == "ok"  # (Opsgenie names Dave, who has no account there)


def test_an_unrecorded_opsgenie_override_of_an_older_version_is_deleted():
    """Seeds 1 and 2 (bench): a crash right after creating a shift's override (v2), then the
    shift changed again (v3) before the next run: v2's override was never recorded and no longer
    matches, so it stayed for good under v3's. On Opsgenie its alias says whose it is."""
    s1 = shift("s1", "c", 24, 48, version=3)
    v3 = override_alias("d", "s1", 3)
    v2 = override_alias("d", "s1", 2)
    exported = [record(s1, v3)]
    remote = [override(v3, "c", 24, 48), override(v2, "b", 24, 48), override("H1", "a", 30, 40)]
    p = plan_export([s1], exported, remote, h(48), h(1), h(48), destination_key="d")
    assert p.creates == ()
    assert [(d.override_id, d.reason) for d in p.deletes] == [(v2, DeleteReason.OUTDATED)], "hand edits stay"
    other = plan_export([s1], exported, remote, h(48), h(1), h(48), destination_key="another destination")
    assert other.deletes == (), "only this destination's own aliases"


def _reassign(sim: Simulation, index: int) -> int:
    """Give the `index`-th live shift to someone else (a new version); returns its id."""
    with session_scope(sim.engine) as s:
        row = s.exec(select(Shift).where(Shift.schedule_id == sim.schedule_id, Shift.end > sim.clock.now)
                     .order_by(Shift.start)).all()[index]
        other = s.exec(select(Member).where(Member.schedule_id == sim.schedule_id, Member.id != row.member_id,
                                            Member.slack_user_id != "U4")).first()
        assert reassign_shift(s, row.id, from_member=row.member_id, version=row.version, to_member=other.id,
                              now=sim.clock.now)
        return row.id


def test_a_pagerduty_override_created_before_a_crash_is_deleted_after_a_second_change(sqlite_url, conformant_respx):
    """Bench long run (20 PagerDuty leftovers): the bulk POST created a shift's v2 override, the
    process died before recording it, and the shift changed again (v3) before the next run. A
    server-made id cannot be told from a hand edit, so v2's override stayed under v3's for good.
    The intent is now recorded before the POST, and the next run finds and deletes it."""
    sim = Simulation(5, sqlite_url, conformant_respx)
    sim.run(steps=0)
    _reassign(sim, 3)  # v2
    sim.faults["pd"].arm("crash", 1.0)
    with pytest.raises(Crash):
        sync_schedule(sim.ctx, sim.schedule_id)
    sim.faults["pd"].arm("none", 0.0)
    sim._restart()
    _reassign(sim, 3)  # v3, before any run could adopt v2's override
    report = sync_schedule(sim.ctx, sim.schedule_id)
    assert [d.status for d in report.destinations][0] == "ok"
    state = replace(sim.state("pd"), settled=True)
    assert stray_overrides(state) == [], "v2's override is found and deleted"
    assert check_exported(state) == []


def test_a_pagerduty_override_created_before_a_crash_is_adopted_when_its_shift_is_unchanged(
        sqlite_url, conformant_respx):
    sim = Simulation(5, sqlite_url, conformant_respx)
    sim.run(steps=0)
    _reassign(sim, 3)
    sim.faults["pd"].arm("crash", 1.0)
    with pytest.raises(Crash):
        sync_schedule(sim.ctx, sim.schedule_id)
    sim.faults["pd"].arm("none", 0.0)
    sim._restart()
    def pd_posts() -> int:
        return len([c for c in conformant_respx.calls
                    if c.request.method == "POST" and "pagerduty" in c.request.url.host])

    posts = pd_posts()
    report = sync_schedule(sim.ctx, sim.schedule_id)
    assert report.destinations[0].created == 0 and report.destinations[0].status == "ok"
    assert pd_posts() == posts, "nothing created again at PagerDuty"
    state = replace(sim.state("pd"), settled=True)
    assert stray_overrides(state) == [] and check_exported(state) == []
