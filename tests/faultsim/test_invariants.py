"""The invariant checkers catch what they are meant to (each can fail)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tests.faultsim.invariants import (
    BotShift,
    DestState,
    HandEdit,
    Override,
    Record,
    check_exported,
    check_shifts,
    check_swaps,
    check_untouched,
    stray_overrides,
)

T = datetime(2026, 11, 2, 9, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


SHIFTS = tuple(BotShift(f"s{i}", at(24 * i), at(24 * (i + 1)), f"U{i % 2 + 1}", 1, f"P{i % 2 + 1}") for i in range(4))
OVERRIDES = tuple(Override(f"O{i}", s.user_id, s.start, s.end, i) for i, s in enumerate(SHIFTS))
RECORDS = tuple(Record(s.id, f"O{i}", 1) for i, s in enumerate(SHIFTS))


def dest(**kw) -> DestState:
    base = dict(name="pd", now=at(1), mark=at(96), shifts=SHIFTS, records=RECORDS, overrides=OVERRIDES, settled=True)
    return DestState(**{**base, **kw})


def test_a_consistent_destination_passes():
    assert check_exported(dest()) == [] and check_shifts(SHIFTS, at(1)) == []
    assert check_untouched(dest(), dest(now=at(2))) == []


def test_shifts_lost_doubled_or_without_holder():
    gap = (SHIFTS[0], *SHIFTS[2:])
    assert "shift lost" in check_shifts(gap, at(1))[0]
    overlap = (SHIFTS[0], replace(SHIFTS[1], start=at(20)))
    assert "doubled" in check_shifts(overlap, at(1))[0]
    assert "no holder" in check_shifts((replace(SHIFTS[0], member=None),), at(1))[0]
    assert "shift lost" in check_shifts(SHIFTS[1:], at(1))[0], "nobody on call now"


def test_swaps_not_reflected():
    assert check_swaps({"s1": "U2"}, SHIFTS) == []
    assert "held by U2, not U3" in check_swaps({"s1": "U3"}, SHIFTS)[0]
    assert "no longer exists" in check_swaps({"s9": "U1"}, SHIFTS)[0]


def test_provider_paging_someone_else_or_the_base_rotation():
    wrong = (*OVERRIDES[:2], replace(OVERRIDES[2], user_id="P9"), OVERRIDES[3])
    assert "P9 is paged" in check_exported(dest(overrides=wrong))[0]
    assert "base rotation" in check_exported(dest(overrides=OVERRIDES[:3]))[0]
    assert check_exported(dest(overrides=OVERRIDES[:3], settled=False)) == [], "only checked once settled"
    assert check_exported(dest(overrides=OVERRIDES[:3], mark=at(72))) == [], "past the mark: not exported yet"
    no_account = (*SHIFTS[:3], replace(SHIFTS[3], user_id=None))
    assert check_exported(dest(overrides=OVERRIDES[:3], shifts=no_account)) == []


def test_hand_edits_stand_before_the_mark_only_and_are_alerted():
    hand = Override("H1", "P9", at(30), at(40), 10, by_hand=True)
    kept = dest(overrides=(*OVERRIDES, hand), hand_edits={"H1": HandEdit("H1", True)})
    assert "nobody was alerted" in check_exported(kept)[0]
    assert check_exported(replace(kept, alerted=frozenset({"s1"}))) == []
    beyond = replace(kept, hand_edits={"H1": HandEdit("H1", False)}, alerted=frozenset({"s1"}))
    assert "made beyond the mark still pages" in check_exported(beyond)[0]
    right = replace(beyond, overrides=(*OVERRIDES, replace(hand, user_id="P2")))
    assert check_exported(right) == [], "a hand edit paging the bot's assignee is no drift"


def test_duplicates_and_leftovers():
    twice = dest(records=(*RECORDS, Record("s1", "O9", 1)), overrides=(*OVERRIDES, Override("O9", "P2", at(24), at(48), 9)))
    assert "duplicate" in check_exported(twice)[0]
    stray = dest(overrides=(*OVERRIDES, Override("O9", "P2", at(24), at(48), 9)))
    assert stray_overrides(stray) == ["O9"] and stray_overrides(replace(stray, settled=False)) == []
    assert stray_overrides(replace(stray, mark=at(24))) == [], "beyond the mark: the first export's business"


def test_nothing_before_the_mark_changes_unless_the_bot_changed_it():
    hand = Override("H1", "P9", at(30), at(40), 10, by_hand=True)
    before = dest(overrides=(*OVERRIDES, hand))
    cut = dest(overrides=(*OVERRIDES, replace(hand, end=at(35))))
    assert "hand edit H1" in check_untouched(before, cut)[0]
    assert "hand edit H1" in check_untouched(before, dest())[0]
    adopted = dest(overrides=(*OVERRIDES, hand), records=(*RECORDS, Record("s1", "H1", 1)))
    bumped_s1 = (SHIFTS[0], replace(SHIFTS[1], version=2), *SHIFTS[2:])
    assert check_untouched(adopted, dest(shifts=bumped_s1)) == [], "the bot may replace what it adopted"
    # the bot's override of an unchanged shift deleted
    assert "did not change that shift" in check_untouched(dest(), dest(overrides=OVERRIDES[:3]))[0]
    # … but after a version bump it may go
    bumped = (*SHIFTS[:3], replace(SHIFTS[3], version=2))
    assert check_untouched(dest(), dest(overrides=OVERRIDES[:3], shifts=bumped)) == []
    # a second override for a shift exported at that version
    again = dest(overrides=(*OVERRIDES, Override("O9", "P2", at(24), at(48), 9)), records=(*RECORDS, Record("s1", "O9", 1)))
    assert "a second override O9" in check_untouched(dest(), again)[0]
