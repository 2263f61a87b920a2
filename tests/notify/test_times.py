"""Pure: when reminders are due (DST, the catch-up rule) and which shift starts are handoffs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.reminder_times import (
    CATCH_UP,
    Slot,
    due_at,
    handoffs,
    is_due,
    might_be_due,
    offsets_text,
    parse_offsets,
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("start", "zone", "due"), [
    # Berlin moves to summer time on Sun 29 Mar 2026: 18:00 that evening is 16:00 UTC, a day earlier 17:00
    (utc(2026, 3, 30, 7), "Europe/Berlin", utc(2026, 3, 29, 16)),
    (utc(2026, 3, 29, 7), "Europe/Berlin", utc(2026, 3, 28, 17)),
    # New York moved on Sun 8 Mar 2026
    (utc(2026, 3, 9, 13), "America/New_York", utc(2026, 3, 8, 22)),
    (utc(2026, 3, 8, 14), "America/New_York", utc(2026, 3, 7, 23)),
    # the day before on the holder's clock, not on UTC's: 09:00 in Tokyo is 00:00 UTC the same day
    (utc(2026, 3, 30, 0), "Asia/Tokyo", utc(2026, 3, 29, 9)),
    # a shift at midnight: the evening before is 6 h earlier
    (utc(2026, 3, 1, 23), "Europe/Berlin", utc(2026, 3, 1, 17)),
])
def test_the_evening_before_is_18_00_on_the_holders_clock(start, zone, due):
    assert due_at(start, "1d", zone) == due
    assert might_be_due(start, "1d", due)


def test_one_hour_before_does_not_depend_on_the_zone():
    start = utc(2026, 3, 29, 1, 30)  # in Berlin's missing hour's neighbourhood
    assert due_at(start, "1h", "Europe/Berlin") == due_at(start, "1h", "UTC") == start - timedelta(hours=1)


def test_catch_up_window_ends_after_two_hours_or_at_the_start():
    start, due = utc(2026, 3, 30, 7), utc(2026, 3, 29, 16)
    assert not is_due(due, start, due - timedelta(minutes=1))
    assert is_due(due, start, due)
    assert is_due(due, start, due + CATCH_UP - timedelta(minutes=1))
    assert not is_due(due, start, due + CATCH_UP)  # after a long downtime: skipped, not sent late
    hour = start - timedelta(hours=1)
    assert is_due(hour, start, start - timedelta(minutes=1))
    assert not is_due(hour, start, start)  # never once the shift has started


def test_offsets_are_stored_as_text():
    assert parse_offsets(None) == ("1d", "1h")
    assert parse_offsets("") == ()
    assert parse_offsets("1h") == ("1h",)
    assert offsets_text(("1d", "1h")) == "the evening before (18:00) and 1 h before"
    assert offsets_text(()) == "off"


def slot(i: int, start: datetime, member: int | None, role: str = "primary", days: int = 7) -> Slot:
    return Slot(i, 1, role, start, start + timedelta(days=days), member)


def test_a_handoff_is_a_start_where_the_holder_changes():
    t = utc(2026, 3, 30, 7)
    same = [slot(1, t - timedelta(days=1), 5, days=1), slot(2, t, 5, days=1)]
    assert handoffs(same, t) == []  # the same person goes on
    changed = [slot(1, t - timedelta(days=1), 5, days=1), slot(2, t, 6, days=1)]
    assert handoffs(changed, t) == [t]
    assert handoffs(changed, t + timedelta(minutes=29)) == [t]
    assert handoffs(changed, t + timedelta(minutes=30)) == []  # catch-up window over
    assert handoffs([slot(2, t, 6)], t) == [t]  # nobody before


def test_each_role_hands_off_on_its_own():
    t = utc(2026, 3, 30, 7)
    slots = [slot(1, t - timedelta(days=7), 5), slot(2, t, 5),  # primary: 5 stays
             slot(3, t - timedelta(days=7), 6, "secondary"), slot(4, t, 7, "secondary")]
    assert handoffs(slots, t) == [t]
