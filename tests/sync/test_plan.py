"""Example tests: one or more per rule of `bot.sync.plan` (see its module docstring)."""

from __future__ import annotations

import re

from bot.providers.base import DeleteOutcome
from bot.sync.plan import (
    CreateReason,
    DeleteReason,
    Outcomes,
    advance_mark,
    deletes_to_run,
    listing_window,
    override_alias,
    plan_export,
    updated_records,
)
from tests.sync.helpers import assigned_at, destination, h, mismatches, override, record, shift

WEEK = [shift(f"s{i}", "ab"[i % 2], 24 * i, 24 * (i + 1)) for i in range(7)]


def plan(shifts, exported=(), remote=(), mark=None, now=0, horizon=168):
    return plan_export(shifts, list(exported), list(remote), mark, h(now), h(horizon), destination_key="d")


# ---------------------------------------------------------------- aliases


def test_alias_is_stable_short_and_opsgenie_safe():
    a = override_alias("dest", "shift-1", 3)
    assert a == override_alias("dest", "shift-1", 3)
    assert re.fullmatch(r"[a-z0-9-]{1,40}", a)
    assert len({a, override_alias("dest", "shift-1", 4), override_alias("other", "shift-1", 3)}) == 3


def test_creates_carry_the_alias():
    p = plan(WEEK[:1])
    assert p.creates[0].alias == override_alias("d", "s0", 1)


# ---------------------------------------------------------------- rules 1, 2: past, one per shift


def test_first_export_one_override_per_shift_contiguous():
    p = plan(WEEK)
    assert [(c.user_id, c.start, c.end) for c in p.creates] == [(s.user_id, s.start, s.end) for s in WEEK]
    assert all(c.reason is CreateReason.NEW for c in p.creates)
    assert p.new_exported_until == h(168)
    assert not p.deletes and not p.adopt


def test_horizon_exports_started_shifts_whole_and_stops():
    p = plan(WEEK, horizon=50)
    assert [c.shift_id for c in p.creates] == ["s0", "s1", "s2"]
    assert p.creates[-1].end == h(72)
    assert p.new_exported_until == h(72)


def test_past_shifts_and_overrides_are_never_touched():
    old = override("X", "z", -30, 10)  # ended before now=30
    p = plan(WEEK, remote=[old], exported=[record(WEEK[0], "B0")], now=30)
    assert "s0" not in {c.shift_id for c in p.creates}
    assert not p.deletes


def test_in_progress_shift_is_created_from_now():
    p = plan(WEEK, now=30)
    first = p.creates[0]
    assert (first.shift_id, first.start, first.end) == ("s1", h(30), h(48))


# ---------------------------------------------------------------- rule 3: before the mark


def test_before_mark_unchanged_shifts_and_hand_edits_are_left_alone():
    exported = [record(s, f"B{i}") for i, s in enumerate(WEEK)]
    remote = [override(f"B{i}", s.user_id, 24 * i, 24 * (i + 1)) for i, s in enumerate(WEEK)]
    remote += [override("H1", "z", 30, 40)]  # hand edit
    remote = [o for o in remote if o.id != "B3"]  # hand-deleted bot override
    assert plan(WEEK, exported, remote, mark=h(168), now=1).is_empty


def test_before_mark_version_bump_recreates_only_that_shift():
    exported = [record(s, f"B{i}") for i, s in enumerate(WEEK)]
    remote = [override(f"B{i}", s.user_id, 24 * i, 24 * (i + 1)) for i, s in enumerate(WEEK)]
    remote += [override("H1", "z", 50, 60)]
    bumped = [*WEEK[:2], shift("s2", "c", 48, 72, version=2), *WEEK[3:]]
    p = plan(bumped, exported, remote + [override("H1", "z", 50, 60)], mark=h(168), now=1)
    assert [(c.shift_id, c.user_id, c.reason) for c in p.creates] == [("s2", "c", CreateReason.CHANGED)]
    assert [(d.override_id, d.reason) for d in p.deletes] == [("B2", DeleteReason.OUTDATED)]
    assert p.deletes[0].requires == (p.creates[0].alias,)
    assert p.new_exported_until == h(168)


def test_version_bump_with_same_person_still_recreates():
    """'Re-apply bot assignments' = bump: the fresh override must become the newest."""
    exported = [record(WEEK[0], "B0")]
    remote = [override("B0", "a", 0, 24), override("H1", "z", 5, 10)]
    p = plan([shift("s0", "a", 0, 24, version=2)], exported, remote, mark=h(24), now=1, horizon=24)
    assert [c.shift_id for c in p.creates] == ["s0"] and [d.override_id for d in p.deletes] == ["B0"]


def test_new_shift_before_mark_is_exported():
    exported = [record(WEEK[0], "B0")]
    remote = [override("B0", "a", 0, 24)]
    p = plan(WEEK[:2], exported, remote, mark=h(48), now=1, horizon=48)
    assert [(c.shift_id, c.reason) for c in p.creates] == [("s1", CreateReason.CHANGED)]


# ---------------------------------------------------------------- rule 4: after the mark


def test_after_mark_pre_existing_overrides_are_replaced():
    exported = [record(WEEK[0], "B0")]
    remote = [override("B0", "a", 0, 24), override("H1", "z", 30, 40), override("H2", "z", 20, 30)]
    p = plan(WEEK[:2], exported, remote, mark=h(24), now=1, horizon=48)
    assert [c.shift_id for c in p.creates] == ["s1"]
    # H2 starts before the mark: before-the-mark territory, the bot's newer override wins over it.
    assert [(d.override_id, d.reason) for d in p.deletes] == [("H1", DeleteReason.PRE_EXISTING)]
    assert p.deletes[0].beyond_mark


def test_first_export_replaces_in_progress_override_and_spares_those_beyond_reach():
    remote = [override("H1", "z", -10, 10), override("H2", "z", 30, 40)]
    p = plan(WEEK[:1], remote=remote, now=5, horizon=24)
    assert [d.override_id for d in p.deletes] == ["H1"]
    assert p.creates[0].start == h(5)


def test_straddling_shift_override_from_now_is_not_swept():
    """A before-mark shift re-exported in progress (override from now > mark) stays protected."""
    s = shift("s0", "a", 0, 24, version=2)
    exported = [record(s, "N", version=2)]
    remote = [override("N", "a", 10, 24)]
    assert plan([s], exported, remote, mark=h(5), now=12, horizon=24).is_empty


# ---------------------------------------------------------------- rule 5: stale overrides


def test_orphaned_bot_override_is_deleted():
    gone = shift("gone", "a", 30, 40)
    p = plan(WEEK[:2], [record(gone, "B9")], [override("B9", "a", 30, 40)], mark=h(48), now=1, horizon=48)
    assert ("B9", DeleteReason.ORPHANED) in [(d.override_id, d.reason) for d in p.deletes]


def test_outdated_override_deleted_even_when_current_one_exists():
    """A crash between create and delete: the old version goes, nothing is created."""
    s2 = shift("s0", "b", 0, 24, version=2)
    exported = [record(WEEK[0], "B0"), record(s2, "B1")]
    remote = [override("B0", "a", 0, 24), override("B1", "b", 0, 24)]
    p = plan([s2], exported, remote, mark=h(24), now=1, horizon=24)
    assert not p.creates and [d.override_id for d in p.deletes] == ["B0"]


# ---------------------------------------------------------------- rule 6: adopt


def test_matching_unrecorded_override_is_adopted():
    p = plan(WEEK[:2], remote=[override("X", "a", 0, 24)], now=0, horizon=48)
    assert [(a.shift_id, a.override.id) for a in p.adopt] == [("s0", "X")]
    assert [c.shift_id for c in p.creates] == ["s1"]


def test_in_progress_override_started_later_is_adopted():
    p = plan(WEEK[:1], remote=[override("X", "a", 3, 24)], now=5, horizon=24)
    assert [a.override.id for a in p.adopt] == ["X"] and not p.creates and not p.deletes


def test_override_starting_after_now_does_not_match_in_progress_shift():
    p = plan(WEEK[:1], remote=[override("X", "a", 6, 24)], now=5, horizon=24)
    assert [c.start for c in p.creates] == [h(5)] and [d.override_id for d in p.deletes] == ["X"]


def test_duplicates_after_mark_keep_one_and_delete_the_rest():
    remote = [override("X2", "a", 0, 24), override("X1", "a", 0, 24)]
    p = plan(WEEK[:1], remote=remote, now=0, horizon=24)
    assert [a.override.id for a in p.adopt] == ["X1"] and [d.override_id for d in p.deletes] == ["X2"]


# ---------------------------------------------------------------- rule 7: in progress, ordering


def test_in_progress_swap_never_leaves_anyone_uncovered():
    dest = destination(now=0)
    dest.run(WEEK, h(168))
    dest.sim.now = h(30)
    swapped = [*WEEK[:1], shift("s1", "c", 24, 48, version=2), *WEEK[2:]]
    p = dest.plan(swapped, h(168))
    assert [(c.start, c.user_id) for c in p.creates] == [(h(30), "c")]
    assert p.deletes[0].requires == (p.creates[0].alias,)
    dest.run(swapped, h(168))
    assert dest.sim.who(h(30)) == "c" and dest.sim.who(h(29)) == "b"  # the past stays as it paged
    assert mismatches(dest, h(168), lambda t: assigned_at(swapped, t)) == []


def test_failed_create_keeps_the_old_override():
    dest = destination(now=0)
    dest.run(WEEK, h(168))
    dest.sim.now = h(30)
    swapped = [*WEEK[:1], shift("s1", "c", 24, 48, version=2), *WEEK[2:]]
    p = dest.plan(swapped, h(168))
    assert deletes_to_run(p, Outcomes()) == []
    dest.run(swapped, h(168), fail={p.creates[0].alias})
    assert dest.sim.who(h(31)) == "b"  # the old assignee, not the base rotation
    dest.run(swapped, h(168))
    assert dest.sim.who(h(31)) == "c"


def test_alias_held_by_an_override_that_goes_gets_a_variant():
    s = WEEK[0]
    taken = override(override_alias("d", "s0", 1), "z", 0, 24)  # hand-edited in place (Opsgenie)
    exported = [record(s, taken.id)]
    p = plan([s], exported, [taken], mark=h(0), now=0, horizon=24)
    assert p.creates[0].alias == taken.id + "-1"
    assert [d.override_id for d in p.deletes] == [taken.id]


# ---------------------------------------------------------------- rule 9: the mark


def _all_ok(p):
    return Outcomes(
        created={c.alias: override(c.alias, c.user_id, 0, 1) for c in p.creates},
        deleted={d.override_id: DeleteOutcome.DELETED for d in p.deletes},
    )


def test_mark_stops_before_first_failed_create():
    p = plan(WEEK)
    ok = _all_ok(p)
    failed = p.creates[3].alias
    partial = Outcomes({k: v for k, v in ok.created.items() if k != failed}, ok.deleted)
    assert advance_mark(p, partial, None) == h(72)
    assert advance_mark(p, ok, None) == p.new_exported_until == h(168)
    assert advance_mark(p, Outcomes(), None) is None
    assert advance_mark(p, Outcomes(), h(10)) == h(10)


def test_mark_stops_at_failed_delete_of_pre_existing_override():
    p = plan(WEEK, remote=[override("H", "z", 50, 52)])
    ok = _all_ok(p)
    assert advance_mark(p, Outcomes(ok.created, {}), None) == h(48)


def test_failures_before_the_mark_do_not_hold_it_back():
    exported = [record(WEEK[0], "B0")]
    bumped = [shift("s0", "c", 0, 24, version=2), WEEK[1]]
    p = plan(bumped, exported, [override("B0", "a", 0, 24)], mark=h(24), now=1, horizon=48)
    only_after = Outcomes({c.alias: override(c.alias, "b", 24, 48) for c in p.creates if c.beyond_mark})
    assert advance_mark(p, only_after, h(24)) == h(48)


# ---------------------------------------------------------------- records, display


def test_updated_records_adds_creates_and_adoptions_and_drops_deletes():
    exported = [record(WEEK[0], "B0")]
    bumped = [shift("s0", "c", 0, 24, version=2), WEEK[1]]
    p = plan(bumped, exported, [override("B0", "a", 0, 24), override("X", "b", 24, 48)], mark=h(0), now=1)
    outcomes = Outcomes(
        {c.alias: override("N", c.user_id, 1, 24) for c in p.creates}, {"B0": DeleteOutcome.TRUNCATED}
    )
    recs = updated_records(exported, p, outcomes)
    assert sorted((r.shift_id, r.override_id, r.version) for r in recs) == [("s0", "N", 2), ("s1", "X", 1)]


def test_plan_lines_and_counts_for_dry_run():
    exported = [record(WEEK[0], "B0")]
    bumped = [shift("s0", "c", 0, 24, version=2), WEEK[1], WEEK[2]]
    remote = [override("B0", "a", 0, 24), override("X", "b", 24, 48), override("H", "z", 50, 60)]
    p = plan(bumped, exported, remote, mark=h(24), now=1, horizon=72)
    assert p.counts() == {"create": 2, "delete": 2, "adopt": 1}
    assert [(line.action, line.user_id, line.start) for line in p.lines()] == [
        ("delete", "a", h(0)),
        ("create", "c", h(1)),
        ("adopt", "b", h(24)),
        ("create", "a", h(48)),
        ("delete", "z", h(50)),
    ]


def test_apply_then_replan_is_empty():
    dest = destination(now=5)
    dest.sim.hand_override("z", h(30), h(40))
    dest.run(WEEK, h(100))
    assert dest.plan(WEEK, h(100)).is_empty
    assert dest.mark == h(120)
    assert mismatches(dest, h(120), lambda t: assigned_at(WEEK, t)) == []


def test_gaps_between_shifts_are_swept_too():
    shifts = [shift("s0", "a", 0, 10), shift("s1", "b", 20, 30)]
    p = plan(shifts, remote=[override("H", "z", 12, 15)], horizon=30)
    assert [d.override_id for d in p.deletes] == ["H"] and p.new_exported_until == h(30)


def test_listing_window_reaches_the_end_of_the_last_exported_shift():
    assert listing_window(WEEK, h(5), h(50)) == (h(5), h(72))
    assert listing_window([], h(5), h(50)) == (h(5), h(50))
