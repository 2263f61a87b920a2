"""Drift detection: examples per rule, and properties against the simulated provider."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.providers.base import RenderedShift
from bot.sync.drift import Cause, covers_whole_shift, detect_drift, drift_fingerprint, unacknowledged
from tests.sync.helpers import destination, h, override, record, shift
from tests.sync.sim import SimDestination

DAYS = [shift(f"s{i}", "abc"[i % 3], 24 * i, 24 * (i + 1)) for i in range(4)]


def exported_world(now: float = 1) -> SimDestination:
    dest = destination(now)
    dest.run(DAYS, h(96))
    return dest


def drift(dest: SimDestination, shifts=DAYS, **kw):
    sim = dest.sim
    rendered = sim.rendered(dest.now, dest.mark) if dest.mark else []
    return detect_drift(shifts, rendered, sim.list_overrides(), dest.records, dest.now, dest.mark, **kw)


def test_no_drift_right_after_export():
    assert drift(exported_world()) == []


def test_partial_hand_edit_is_reported_with_who_and_why():
    dest = exported_world()
    hid = dest.sim.hand_override("z", h(30), h(36))
    [item] = drift(dest)
    assert (item.shift_id, item.assigned_user_id, item.start, item.end) == ("s1", "b", h(24), h(48))
    [seg] = item.differing
    assert (seg.start, seg.end, seg.user_ids, seg.cause, seg.override_ids) == (
        h(30),
        h(36),
        ("z",),
        Cause.HAND_OVERRIDE,
        (hid,),
    )
    assert item.hand_made and item.paged_user_ids == ("z",)
    assert covers_whole_shift(item) is None


def test_several_people_for_parts_of_a_shift():
    dest = exported_world()
    dest.sim.hand_override("y", h(24), h(30))
    dest.sim.hand_override("z", h(40), h(48))
    [item] = drift(dest)
    assert [(s.user_ids, s.cause) for s in item.segments] == [
        (("y",), Cause.HAND_OVERRIDE),
        (("b",), None),
        (("z",), Cause.HAND_OVERRIDE),
    ]


def test_whole_shift_hand_edit_names_the_person():
    dest = exported_world()
    dest.sim.hand_override("z", h(20), h(50))
    items = drift(dest)
    assert [i.shift_id for i in items] == ["s0", "s1", "s2"]
    assert [covers_whole_shift(i) for i in items] == [None, "z", None]  # s0 is in progress


def test_deleted_bot_override_shows_the_rotation():
    dest = exported_world()
    bot = next(r.override_id for r in dest.records if r.shift_id == "s2")
    del dest.sim.overrides[bot]
    [item] = drift(dest)
    assert item.shift_id == "s2" and {s.cause for s in item.differing} == {Cause.ROTATION}
    assert not item.hand_made


def test_nobody_paged_and_several_at_once():
    s = shift("s0", "a", 0, 10)
    exported = [record(s, "B")]
    rendered = [
        RenderedShift("a", h(0), h(5)),
        RenderedShift("a", h(6), h(10)),
        RenderedShift("y", h(8), h(10)),
    ]
    [item] = detect_drift([s], rendered, [override("B", "a", 0, 10)], exported, h(0), h(10))
    assert [(x.start, x.end, x.user_ids, x.cause) for x in item.differing] == [
        (h(5), h(6), (), Cause.NOBODY),
        (h(8), h(10), ("a", "y"), Cause.ROTATION),
    ]


def test_bot_override_of_another_shift_is_not_hand_made():
    a, b = shift("s0", "a", 0, 10), shift("s1", "b", 10, 20)
    exported = [record(a, "A"), record(b, "B")]
    remote = [override("A", "a", 0, 15), override("B", "b", 10, 20)]
    rendered = [RenderedShift("a", h(0), h(15)), RenderedShift("b", h(15), h(20))]
    [item] = detect_drift([a, b], rendered, remote, exported, h(0), h(20))
    assert item.shift_id == "s1" and item.differing[0].cause is Cause.BOT_OVERRIDE


def test_only_the_exported_window_and_current_versions_count():
    dest = exported_world()
    dest.sim.hand_override("z", h(10), h(90))
    assert [i.shift_id for i in drift(dest)] == ["s0", "s1", "s2", "s3"]
    dest.mark = h(48)
    assert [i.shift_id for i in drift(dest)] == ["s0", "s1"]
    bumped = [dataclasses.replace(DAYS[0], version=2), *DAYS[1:]]
    assert [i.shift_id for i in drift(dest, bumped)] == ["s1"]  # s0 waits for re-export
    dest.mark = None
    assert drift(dest) == []
    rendered = dest.sim.rendered(dest.now, h(96))
    assert detect_drift(DAYS, rendered, [], dest.records, h(100), h(96)) == []


def test_fingerprint_is_stable_as_time_passes_and_changes_with_the_drift():
    dest = exported_world(now=1)
    dest.sim.hand_override("z", h(30), h(36))
    first = drift(dest)
    dest.sim.now = h(32)  # the hand edit is now in progress
    assert drift_fingerprint(drift(dest)) == drift_fingerprint(first) != ""
    dest.sim.hand_override("y", h(50), h(52))
    assert drift_fingerprint(drift(dest)) != drift_fingerprint(first)
    assert drift_fingerprint([]) == ""


def test_acknowledged_drift_stays_quiet_until_it_changes():
    dest = exported_world()
    dest.sim.hand_override("z", h(30), h(36))
    dest.sim.hand_override("z", h(40), h(42))
    [item] = drift(dest)
    acked = set(item.ack_keys)
    assert drift(dest, acknowledged=acked) == []
    assert unacknowledged([item], {item.key}) == []
    dest.sim.now = h(38)  # the first part has passed: still acknowledged
    assert drift(dest, acknowledged=acked) == []
    dest.sim.hand_override("y", h(44), h(45))  # a new difference in the same shift
    [again] = drift(dest, acknowledged=acked)
    assert again.shift_id == "s1"


def test_reapply_by_version_bump_clears_the_drift():
    dest = exported_world()
    dest.sim.hand_override("z", h(30), h(60))
    items = drift(dest)
    ids = {i.shift_id for i in items}
    bumped = [dataclasses.replace(s, version=s.version + 1) if s.shift_id in ids else s for s in DAYS]
    dest.run(bumped, h(96))
    assert drift(dest, bumped) == []


# ---------------------------------------------------------------- properties


@settings(max_examples=80, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(["y", "z", "a"]), st.integers(0, 190), st.integers(1, 60)), max_size=4
    ),
    now=st.integers(0, 150),
)
def test_drift_is_exactly_where_the_provider_pages_someone_else(edits, now):
    dest = destination(0)
    dest.run(DAYS, h(96))
    for user, start, length in edits:
        dest.sim.hand_override(user, h(start / 2), h((start + length) / 2))
    dest.sim.now = h(now / 2)
    items = drift(dest)
    by_shift = {i.shift_id: i for i in items}
    t = dest.now
    while dest.mark and t < dest.mark:
        s = next(s for s in DAYS if s.start <= t < s.end)
        paged = dest.sim.who(t)
        item = by_shift.get(s.shift_id)
        if paged != s.user_id:
            assert item is not None
            seg = next(x for x in item.segments if x.start <= t < x.end)
            assert seg.user_ids == (paged,) and seg.cause is Cause.HAND_OVERRIDE
        elif item is not None:
            assert not any(x.start <= t < x.end for x in item.differing)
        t += timedelta(minutes=30)
    fingerprint = drift_fingerprint(items)
    assert drift_fingerprint(drift(dest)) == fingerprint  # re-runs agree
    assert drift(dest, acknowledged={k for i in items for k in i.ack_keys}) == []
