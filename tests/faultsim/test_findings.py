"""Regressions for what the fault simulation found (seed and steps in each docstring)."""

from __future__ import annotations

from bot.sync.plan import listing_window, plan_export
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
