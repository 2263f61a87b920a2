"""Property tests: plans applied to the simulated provider converge and page the assignees.

Worlds: contiguous shifts from T0 (hour granularity, users a/b/c), a provider that may already
hold overrides (users y/z: never an assignee, so never adopted by accident), a first export,
then hand edits before the mark, version bumps, new pre-existing overrides after the mark,
time moving forward and the horizon extending, and a second export (maybe crashing).
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sync.plan import CreateReason, DeleteReason, Plan, ShiftToExport
from tests.sync.helpers import assigned_at, destination, h, mismatches
from tests.sync.sim import SimDestination, apply_plan

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

assignees = st.sampled_from(["a", "b", "c"])
strangers = st.sampled_from(["y", "z"])


def half_hours(lo: int, hi: int) -> st.SearchStrategy[float]:
    return st.integers(lo * 2, hi * 2).map(lambda n: n / 2)


@st.composite
def intervals(draw, lo: float, hi: float, max_size: int = 4) -> list[tuple[str, float, float]]:
    """(user, start, end) for overrides someone made by hand, starting in [lo, hi)."""
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        start = draw(half_hours(int(lo), int(hi))) if hi > lo else lo
        if start >= hi:
            continue
        out.append((draw(strangers), start, start + draw(half_hours(1, 30))))
    return out


@st.composite
def shift_list(draw, start: float, min_size: int = 1, first_id: int = 0) -> list[ShiftToExport]:
    out, t = [], start
    for i in range(draw(st.integers(min_size, 7))):
        length = draw(st.integers(1, 24))
        out.append(ShiftToExport(f"s{first_id + i}", draw(assignees), h(t), h(t + length), 1))
        t += length
    return out


@dataclass
class Crash:
    calls: float  # fraction of the provider calls made before the crash
    committed: float  # fraction of those whose results reached the database
    adoptions: bool
    mark: bool


crashes = st.builds(Crash, st.floats(0, 1), st.floats(0, 1), st.booleans(), st.booleans()) | st.none()


def run(dest: SimDestination, shifts, horizon: datetime, crash: Crash | None) -> None:
    """Export; with `crash`, die part-way through and then run again cleanly."""
    if crash is not None:
        n = len(dest.plan(shifts, horizon).creates) + len(dest.plan(shifts, horizon).deletes)
        limit = round(crash.calls * n)
        dest.run(
            shifts,
            horizon,
            limit=limit,
            commit=round(crash.committed * limit),
            record_adoptions=crash.adoptions,
            record_mark=crash.mark,
        )
    dest.run(shifts, horizon)


def reach(shifts, now: datetime, horizon: datetime) -> datetime | None:
    return max((s.end for s in shifts if s.end > now and s.start < horizon), default=None)


def live_signature(dest: SimDestination) -> Counter:
    return Counter((o.user_id, o.start, o.end, o.by_hand) for o in dest.sim.live())


def record_signature(dest: SimDestination) -> set:
    return {(r.shift_id, r.user_id, r.start, r.end, r.version) for r in dest.records if r.end > dest.now}


# ---------------------------------------------------------------- first export


@FAST
@given(
    shifts=shift_list(0),
    now=half_hours(0, 100),
    ahead=half_hours(1, 120),
    existing=intervals(-24, 150, max_size=5),
    opsgenie=st.booleans(),
    crash=crashes,
)
def test_first_export_pages_the_assignees_and_converges(shifts, now, ahead, existing, opsgenie, crash):
    dest = destination(now, aliases_as_ids=opsgenie)
    for user, start, end in existing:
        dest.sim.hand_override(user, h(start), h(end))
    horizon = h(now + ahead)
    first = dest.plan(shifts, horizon)
    assert all(c.start >= dest.now for c in first.creates)

    run(dest, shifts, horizon, crash)

    end = reach(shifts, dest.now, horizon)
    assert dest.mark == end == first.new_exported_until
    assert dest.plan(shifts, horizon).is_empty
    if end is not None:
        assert mismatches(dest, end, lambda t: assigned_at(shifts, t)) == []
    _assert_one_override_per_live_shift(dest, shifts, horizon)
    for o in dest.sim.live():  # what survives of the old overrides lies beyond the period
        assert not o.by_hand or end is None or o.start >= end


def _assert_one_override_per_live_shift(dest: SimDestination, shifts, horizon: datetime) -> None:
    live = [s for s in shifts if s.end > dest.now and s.start < horizon]
    bot = [o for o in dest.sim.live() if not o.by_hand]
    assert len(bot) == len(live)
    for s in live:
        assert [
            o for o in bot if o.user_id == s.user_id and o.end == s.end and o.start <= max(s.start, dest.now)
        ]


# ---------------------------------------------------------------- the second run


@dataclass
class World:
    dest: SimDestination
    shifts: list[ShiftToExport]
    horizon: datetime
    mark1: datetime
    hand_ids: list[str]
    bumped: set[str]
    pre_existing: list[str]


@st.composite
def worlds(draw) -> World:
    """After a first export: hand edits before the mark, bumps, new overrides after it, time moved."""
    shifts = draw(shift_list(0, min_size=2))
    total = (shifts[-1].end - h(0)) / timedelta(hours=1)
    now1 = draw(half_hours(0, int(total) - 1))
    horizon1 = h(now1 + draw(half_hours(1, 72)))
    dest = destination(now1, aliases_as_ids=draw(st.booleans()))
    dest.run(shifts, horizon1)
    mark1 = dest.mark
    assert mark1 is not None
    mark1_h = (mark1 - h(0)) / timedelta(hours=1)

    hand_ids = [dest.sim.hand_override(u, h(a), h(b)) for u, a, b in draw(intervals(now1, mark1_h))]
    bumped = set(draw(st.sets(st.sampled_from([s.shift_id for s in shifts]), max_size=3)))
    shifts = [
        ShiftToExport(s.shift_id, draw(assignees), s.start, s.end, s.version + 1)
        if s.shift_id in bumped
        else s
        for s in shifts
    ]
    shifts += draw(shift_list(total, min_size=0, first_id=len(shifts)))
    pre = [dest.sim.hand_override(u, h(a), h(b)) for u, a, b in draw(intervals(mark1_h, mark1_h + 80))]

    dest.sim.now = h(now1 + draw(half_hours(0, 60)))
    end = (shifts[-1].end - h(0)) / timedelta(hours=1)
    horizon = max(horizon1, h(min(end, now1 + draw(half_hours(0, 150)))))
    return World(dest, shifts, horizon, mark1, hand_ids, bumped, pre)


def _expected(world: World):
    """Who should page at t: hand edits before the old mark win, except over re-exported shifts."""
    sim = world.dest.sim
    hand = [sim.overrides[i] for i in world.hand_ids if i in sim.overrides]
    bumped = [s for s in world.shifts if s.shift_id in world.bumped and s.start < world.mark1]

    def expected(t: datetime) -> str | None:
        if t < world.mark1 and not any(s.start <= t < s.end for s in bumped):
            covering = [o for o in hand if o.start <= t < o.end]
            if covering:
                return max(covering, key=lambda o: o.seq).user_id
        return assigned_at(world.shifts, t)

    return expected


@FAST
@given(world=worlds())
def test_second_run_follows_the_rules(world: World):
    dest = world.dest
    p: Plan = dest.plan(world.shifts, world.horizon)
    live = [s for s in world.shifts if s.end > dest.now and s.start < world.horizon]

    # version bumps before the mark re-export exactly those shifts
    changed = {c.shift_id for c in p.creates if c.reason is CreateReason.CHANGED}
    assert changed == {s.shift_id for s in live if s.shift_id in world.bumped and s.start < world.mark1}
    assert {d.shift_id for d in p.deletes if d.reason is DeleteReason.OUTDATED} <= world.bumped
    # hand edits before the mark are never deleted; pre-existing ones after it are
    deleted = {d.override_id for d in p.deletes}
    assert not deleted & set(world.hand_ids)
    end = reach(world.shifts, dest.now, world.horizon)
    for oid in world.pre_existing:
        o = dest.sim.overrides[oid]
        if end is not None and o.end > dest.now and o.start < end:
            assert oid in deleted

    dest.run(world.shifts, world.horizon)

    assert dest.plan(world.shifts, world.horizon).is_empty
    assert dest.mark == max(world.mark1, end or world.mark1)
    assert all(i in dest.sim.overrides for i in world.hand_ids)
    assert mismatches(dest, end or dest.now, _expected(world)) == []
    _assert_one_override_per_live_shift(dest, world.shifts, world.horizon)


@FAST
@given(world=worlds(), crash=crashes.filter(lambda c: c is not None), twice=st.booleans())
def test_a_crash_then_a_fresh_run_converges_to_the_same_state(world: World, crash: Crash, twice: bool):
    clean = copy.deepcopy(world.dest)
    clean.run(world.shifts, world.horizon)

    crashed = world.dest
    if twice:  # crash, crash again, then finish
        run(crashed, world.shifts, world.horizon, crash)
    run(crashed, world.shifts, world.horizon, crash)

    assert crashed.plan(world.shifts, world.horizon).is_empty
    assert crashed.mark == clean.mark
    assert live_signature(crashed) == live_signature(clean)
    assert record_signature(crashed) == record_signature(clean)
    horizon = clean.mark or crashed.now
    assert crashed.sim.rendered(crashed.now, horizon) == clean.sim.rendered(clean.now, horizon)


@FAST
@given(world=worlds(), steps=st.lists(half_hours(1, 30), min_size=1, max_size=4))
def test_time_advancing_between_runs_converges(world: World, steps: list[float]):
    dest = world.dest
    dest.run(world.shifts, world.horizon)
    for step in steps:
        dest.sim.now += timedelta(hours=step)
        world.horizon += timedelta(hours=step)
        p = dest.plan(world.shifts, world.horizon)
        assert all(c.beyond_mark for c in p.creates)  # nothing before the mark is redone
        assert not {d.override_id for d in p.deletes} & set(world.hand_ids)
        dest.run(world.shifts, world.horizon)
    dest.run(world.shifts, world.horizon)
    assert dest.plan(world.shifts, world.horizon).is_empty
    end = reach(world.shifts, dest.now, world.horizon)
    if end is not None:
        assert dest.mark == max(end, world.mark1)
    assert mismatches(dest, end or dest.now, _expected(world)) == []


@settings(FAST, max_examples=60)
@given(world=worlds())
def test_every_prefix_of_a_plan_pages_the_old_or_the_new_person(world: World):
    """Creates run before deletes, and a delete only after its replacement: no one else pages."""
    dest = world.dest
    p = dest.plan(world.shifts, world.horizon)
    end = reach(world.shifts, dest.now, world.horizon) or dest.now
    final = copy.deepcopy(dest)
    final.run(world.shifts, world.horizon)
    n = len(p.creates) + len(p.deletes)
    for k in range(n + 1):
        partial = copy.deepcopy(dest)
        apply_plan(partial.sim, p, limit=k)
        points = {t for o in partial.sim.overrides.values() for t in (o.start, o.end)} | {dest.now}
        points |= set(dest.sim.rotation.boundaries(dest.now, end))
        for t in sorted(x for x in points if dest.now <= x < end):
            assert partial.sim.who(t) in {dest.sim.who(t), final.sim.who(t)}, (k, t)


# ---------------------------------------------------------------- members without an account


@dataclass
class GapWorld:
    """Some assignees have no account at the destination: their shifts are left out of the export
    (as `bot.sync.inputs` does) and reported elsewhere. After a first export, overrides made by
    hand in the period exported to (`hand`: id -> (start, end)), more shifts, time moved, and
    maybe some of those people got an account (`missing` is who still has none)."""

    dest: SimDestination
    shifts: list[ShiftToExport]
    missing: set[str]
    horizon: datetime
    hand: dict[str, tuple[datetime, datetime]]


def exportable(shifts: list[ShiftToExport], missing: set[str]) -> list[ShiftToExport]:
    return [s for s in shifts if s.user_id not in missing]


@st.composite
def gap_worlds(draw) -> GapWorld:
    shifts = draw(shift_list(0, min_size=2))
    missing = draw(st.sets(assignees, min_size=1, max_size=2))
    total = (shifts[-1].end - h(0)) / timedelta(hours=1)
    now1 = draw(half_hours(0, int(total) - 1))
    horizon1 = h(now1 + draw(half_hours(1, 72)))
    dest = destination(now1, aliases_as_ids=draw(st.booleans()))
    dest.run(exportable(shifts, missing), horizon1)
    # the period exported to: up to the end of the last shift exported, over those left out
    end1 = reach(exportable(shifts, missing), dest.now, horizon1) or dest.now
    end1_h = (end1 - h(0)) / timedelta(hours=1)

    hand = {}
    for u, a, b in draw(intervals(now1, end1_h, max_size=5)):
        hid = dest.sim.hand_override(u, h(a), h(b))
        hand[hid] = (h(a), h(b))
    shifts += draw(shift_list(total, min_size=0, first_id=len(shifts)))
    missing -= draw(st.sets(st.sampled_from(sorted(missing)), max_size=len(missing)))
    dest.sim.now = h(now1 + draw(half_hours(0, 60)))
    end = (shifts[-1].end - h(0)) / timedelta(hours=1)
    horizon = max(horizon1, h(min(end, now1 + draw(half_hours(0, 150)))))
    return GapWorld(dest, shifts, missing, horizon, hand)


@FAST
@given(world=gap_worlds(), crash=crashes, steps=st.lists(half_hours(1, 30), max_size=3))
def test_a_member_without_an_account_never_gets_hand_edits_in_exported_periods_deleted(
    world: GapWorld, crash: Crash | None, steps: list[float]
):
    """An override the bot did not create, starting in a period the bot has exported to, is never
    deleted (nor truncated), whoever lacks an account; the rest still converges."""
    dest, shifts = world.dest, exportable(world.shifts, world.missing)
    assert not {d.override_id for d in dest.plan(shifts, world.horizon).deletes} & set(world.hand)
    run(dest, shifts, world.horizon, crash)
    for step in steps:
        dest.sim.now += timedelta(hours=step)
        world.horizon += timedelta(hours=step)
        assert not {d.override_id for d in dest.plan(shifts, world.horizon).deletes} & set(world.hand)
        dest.run(shifts, world.horizon)

    assert {i: (o.start, o.end) for i, o in dest.sim.overrides.items() if i in world.hand} == world.hand
    assert dest.plan(shifts, world.horizon).is_empty
    _assert_one_override_per_live_shift(dest, shifts, world.horizon)
