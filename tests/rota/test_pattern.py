from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.providers.base import RemoteRotation, RemoteUser, Restriction
from bot.rota.model import SECONDARY, SlotKind, Window
from bot.rota.pattern import ShiftPattern, nominal_member, pattern_from_rotation, slots

# (zone, a date a few days before the spring change, one before the autumn change)
DST = [
    ("Europe/Berlin", date(2025, 3, 27), date(2025, 10, 23)),
    ("America/New_York", date(2025, 3, 6), date(2025, 10, 30)),
    ("Australia/Sydney", date(2025, 10, 2), date(2025, 4, 3)),  # southern hemisphere
]
LENGTHS = [timedelta(days=1), timedelta(hours=12), timedelta(hours=8), timedelta(days=7), timedelta(hours=5)]


def _window(zone: str, d: date, days: int = 10) -> Window:
    start = datetime.combine(d, time(0), ZoneInfo(zone)).astimezone(UTC)
    return Window.days(start, days)


@pytest.mark.parametrize("zone,spring,autumn", DST)
@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("split", [False, True])
def test_no_gaps_or_overlaps_across_dst(zone, spring, autumn, length, split):
    p = ShiftPattern(time_zone=zone, handoff=time(2, 30), length=length, split_weekend=split)
    for d in (spring, autumn):
        w = _window(zone, d, 21)
        ss = slots(p, w)
        assert ss[0].start <= w.start and ss[-1].end >= w.end
        for a, b in pairwise(ss):
            assert a.end == b.start  # contiguous: no gap, no overlap
        assert all(s.start.tzinfo is UTC for s in ss)


@pytest.mark.parametrize("zone,spring,autumn", DST)
def test_daily_handoff_stays_on_the_wall_clock(zone, spring, autumn):
    p = ShiftPattern(time_zone=zone, handoff=time(9))
    hours = set()
    for d in (spring, autumn):
        for s in slots(p, _window(zone, d)):
            assert s.start.astimezone(ZoneInfo(zone)).time() == time(9)
            hours.add((s.end - s.start) / timedelta(hours=1))
    assert hours == {23.0, 24.0, 25.0}


def test_twelve_hour_shifts_hand_off_at_nine_and_twenty_one():
    p = ShiftPattern(time_zone="America/New_York", handoff=time(9), length=timedelta(hours=12))
    local = {
        s.start.astimezone(ZoneInfo("America/New_York")).time()
        for s in slots(p, _window(p.time_zone, date(2025, 3, 6)))
    }
    assert local == {time(9), time(21)}


def test_weekend_split_and_kinds():
    p = ShiftPattern(time_zone="UTC", split_weekend=True, holidays=frozenset({date(2025, 3, 5)}))
    ss = slots(p, Window.days(datetime(2025, 3, 3, 9, tzinfo=UTC), 7))
    weekend = [s for s in ss if s.kind is SlotKind.WEEKEND]
    assert len(weekend) == 1 and weekend[0].end - weekend[0].start == timedelta(days=2)
    assert [s.kind for s in ss if s.start.day == 5] == [SlotKind.HOLIDAY]


def test_roles_give_one_slot_per_role():
    p = ShiftPattern(roles=("primary", SECONDARY))
    ss = slots(p, Window.days(datetime(2025, 3, 3, 9, tzinfo=UTC), 3))
    assert [s.role for s in ss] == ["primary", "secondary"] * 3


def _users(n):
    return tuple(RemoteUser(f"P{k}", f"p{k}@x.io", f"P {k}") for k in range(n))


def test_import_pagerduty_layer_continues_the_order():
    start = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)  # 09:00 Berlin
    rot = RemoteRotation("L1", "Layer 1", start, 7 * 86400, _users(3), kind="weekly")
    p = pattern_from_rotation(rot, "Europe/Berlin", member_ids={"P0": "10", "P1": "11", "P2": "12"})
    assert p.handoff == time(9) and p.length == timedelta(days=7) and p.order == ("10", "11", "12")
    ss = slots(p, Window.days(start, 35))
    assert [nominal_member(p, s) for s in ss[:5]] == ["10", "11", "12", "10", "11"]
    # across the spring change the handoff stays at 09:00 local
    later = slots(p, Window.days(datetime(2025, 3, 24, 8, tzinfo=UTC), 14))
    assert {s.start.astimezone(ZoneInfo("Europe/Berlin")).time() for s in later} == {time(9)}


def test_import_opsgenie_hourly_rotation_with_restriction():
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    rot = RemoteRotation(
        "r",
        "Days",
        start,
        8 * 3600,
        _users(2),
        kind="hourly",
        length=8,
        restrictions=(Restriction("daily", "09:00:00", 8 * 3600),),
    )
    p = pattern_from_rotation(rot, "UTC")
    assert p.length == timedelta(hours=8)
    ss = slots(p, Window.days(start, 2))
    assert [(s.start.hour, s.end.hour) for s in ss] == [(9, 17), (9, 17)]


def test_unknown_zone_is_refused():
    with pytest.raises(Exception):  # noqa: B017 - zoneinfo raises its own error type
        ShiftPattern(time_zone="Mars/Olympus")
