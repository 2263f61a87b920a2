"""`bot.sync.snapshot`: when the provider's override layer is the bot's records, and when what
pages follows from the overrides alone."""

from __future__ import annotations

from bot.providers.base import RenderedShift
from bot.sync.plan import ExportedRecord
from bot.sync.snapshot import as_listed, clip, derived, explains
from tests.sync.helpers import h, override


def rec(oid: str, user: str, start: float, end: float) -> ExportedRecord:
    return ExportedRecord(oid[1:], oid, user, h(start), h(end), 1)


def entry(user: str, start: float, end: float) -> RenderedShift:
    return RenderedShift(user, h(start), h(end))


RECORDS = [rec("O1", "a", 0, 24), rec("O2", "b", 24, 48), rec("O3", "b", 48, 72)]


def test_the_layer_of_exactly_the_records_explains_them_joined_and_clipped():
    layer = [entry("a", 2, 24), entry("b", 24, 60)]  # (adjacent entries of one person may come joined)
    assert explains(layer, RECORDS, h(2), h(60))
    assert as_listed(RECORDS, h(30)) == [override("O2", "b", 24, 48), override("O3", "b", 48, 72)]


def test_a_hand_edit_a_missing_override_or_an_overlap_does_not():
    assert not explains([entry("a", 2, 24), entry("c", 24, 30), entry("b", 30, 60)], RECORDS, h(2), h(60))
    assert not explains([entry("a", 2, 24)], RECORDS, h(2), h(60)), "the bot's overrides were deleted by hand"
    assert not explains([entry("a", 2, 24), entry("b", 24, 60), entry("d", 70, 80)], RECORDS, h(2), h(100))
    assert not explains([entry("a", 2, 30)], [rec("O1", "a", 0, 24), rec("O9", "a", 20, 30)], h(2), h(30))
    assert explains([], [], h(0), h(10)), "nothing recorded, nothing there: the first export lists nothing"


def test_what_pages_follows_from_the_bots_overrides_only_when_they_cover_the_range_alone():
    mine = [override("O1", "a", 0, 24), override("O2", "b", 24, 48)]
    assert derived(mine, {"O1", "O2"}, h(2), h(40)) == [entry("a", 2, 24), entry("b", 24, 40)]
    assert derived([*mine, override("H1", "c", 30, 31)], {"O1", "O2"}, h(2), h(40)) is None, "a hand edit"
    assert derived(mine, {"O1", "O2"}, h(2), h(50)) is None, "a gap: the rotation shows"
    assert derived([override("O1", "a", 0, 30), override("O2", "b", 24, 48)], {"O1", "O2"}, h(2), h(40)) is None
    assert clip([entry("a", 0, 24), entry("b", 24, 48)], h(10), h(30)) == [entry("a", 10, 24), entry("b", 24, 30)]
