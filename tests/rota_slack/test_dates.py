"""Pure parsing of `/oncall away` text: dates, ranges, times, mentions, list and cancel."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.away import AwayCancelCmd, AwayCmd, AwayListCmd, parse_away
from bot.commands.dates import resolve_range, take_range
from bot.commands.parser import UsageError, Word, tokenize

TODAY = date(2026, 11, 27)  # a Friday
BERLIN = ZoneInfo("Europe/Berlin")


def away(text: str):
    return parse_away(tokenize(text))


def interval(text: str, today: date = TODAY, zone: str = "Europe/Berlin") -> tuple[datetime, datetime]:
    cmd = away(text)
    assert isinstance(cmd, AwayCmd)
    return resolve_range(cmd.when, today, zone)


def day(y, m, d, h=0, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=BERLIN)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2026-12-24", day(2026, 12, 24), day(2026, 12, 25)),
    ("12-24", day(2026, 12, 24), day(2026, 12, 25)),
    ("today", day(2026, 11, 27), day(2026, 11, 28)),
    ("tomorrow", day(2026, 11, 28), day(2026, 11, 29)),
    ("friday", day(2026, 11, 27), day(2026, 11, 28)),  # today is Friday
    ("mon", day(2026, 11, 30), day(2026, 12, 1)),
    ("12-24 12-31", day(2026, 12, 24), day(2027, 1, 1)),
    ("12-24..12-31", day(2026, 12, 24), day(2027, 1, 1)),
    ("12-28..01-03", day(2026, 12, 28), day(2027, 1, 4)),  # across the new year
    ("2026-12-24 to 2026-12-31", day(2026, 12, 24), day(2027, 1, 1)),
    ("12-24 until 12-26", day(2026, 12, 24), day(2026, 12, 27)),
    ("mon-fri", day(2026, 11, 30), day(2026, 12, 5)),
    ("today–sunday", day(2026, 11, 27), day(2026, 11, 30)),
    ("tomorrow 14:00", day(2026, 11, 28, 14), day(2026, 11, 29)),
    ("fri 14:00 mon 09:00", day(2026, 11, 27, 14), day(2026, 11, 30, 9)),
    ("01-05", day(2027, 1, 5), day(2027, 1, 6)),  # past month-day: next year
    ("03-28 03-30", day(2027, 3, 28), day(2027, 3, 31)),  # across the DST change
])
def test_dates_and_ranges_in_the_persons_zone(text, start, end):
    assert interval(text) == (start, end)


def test_whole_days_follow_the_zone():
    s, e = interval("12-24", zone="America/New_York")
    assert (s.utcoffset().total_seconds(), (e - s).total_seconds()) == (-5 * 3600, 86400)


def test_reason_and_mentions():
    cmd = away("<@U2|bob> 12-24 12-31 family trip")
    assert isinstance(cmd, AwayCmd) and cmd.user == "U2" and cmd.reason == "family trip"
    assert away('tomorrow "dentist, then home"').reason == "dentist, then home"
    assert away("tomorrow").user is None and away("tomorrow").reason == ""
    assert away("12-24 ski 12-31").reason == "ski 12-31"  # only a date right after the start is an end


def test_list_and_cancel():
    assert away("list") == AwayListCmd()
    assert away("list <@U2>") == AwayListCmd("U2")
    assert away("cancel 7") == AwayCancelCmd(7)
    assert away("cancel #12") == AwayCancelCmd(12)


@pytest.mark.parametrize(("text", "says"), [
    ("", "Say when"),
    ("next week", "not a date I understand"),
    ("24/12/2026", "not a date I understand"),
    ("13-45", "not a date I understand"),
    ("2026-02-30", "not a valid date"),
    ("12-24 to", "needs an end date"),
    ("12-24 to banana", "needs an end date"),
    ("tomorrow <@U2>", "Put the person first"),
    ("cancel", "away cancel 7"),
    ("cancel seven", "away cancel 7"),
    ("cancel ²", "away cancel 7"),
    ("cancel ٣", "away cancel 7"),
    ("cancel 99999999999999999999", "away cancel 7"),
    ("list everything", "takes nothing"),
])
def test_bad_input_says_what_to_type(text, says):
    with pytest.raises(UsageError) as err:
        away(text)
    assert says in err.value.message
    if "not a date" in says:
        assert "`12-24`" in err.value.message and "`tomorrow`" in err.value.message


def test_an_end_before_the_start_is_refused():
    with pytest.raises(UsageError, match="before it starts"):
        interval("2026-12-31 2026-12-24")
    with pytest.raises(UsageError, match="before it starts"):
        interval("tomorrow 14:00 tomorrow 09:00")


def test_days_more_than_ten_years_away_are_refused_before_any_arithmetic():
    today = date(2028, 2, 29)
    rng, _ = take_range((Word("2038-02-28"),))
    assert resolve_range(rng, today, "Europe/Berlin")[0].date() == date(2038, 2, 28)
    for text in ("2038-03-01", "9999-12-31", "0001-01-01", "2018-02-27"):
        rng, _ = take_range((Word(text),))
        with pytest.raises(UsageError, match="more than 10 years away: give a date between 2018-02-28 and 2038-02-28"):
            resolve_range(rng, today, "Asia/Tokyo")
    rng, _ = take_range((Word("today"), Word("9999-12-31")))
    with pytest.raises(UsageError, match="`9999-12-31` is more than 10 years away"):
        resolve_range(rng, today, "America/New_York")


def test_february_29_after_this_years_has_passed_is_four_years_on():
    rng, _ = take_range((Word("02-29"),))
    start, _end = resolve_range(rng, date(2028, 3, 1), "Europe/Berlin")
    assert start.date() == date(2032, 2, 29)
    rng, _ = take_range((Word("2036-11-26"), Word("02-29")))
    with pytest.raises(UsageError, match="`02-29` is more than 10 years away"):  # 2040-02-29, not a crash
        resolve_range(rng, date(2026, 11, 27), "UTC")


_WORDS = ["9999-12-31", "0001-01-01", "2036-11-26", "12-24", "02-29", "01-01", "fri", "sun", "today", "tomorrow",
          "14:00", "0:00", "23:59", "..", "to", "-", "mon-fri", "12-24..12-31", "9999-12-30..9999-12-31", "x"]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4),
       today=st.dates(date(2000, 1, 1), date(2100, 12, 31)),
       zone=st.sampled_from(["UTC", "Europe/Berlin", "Pacific/Kiritimati", "Pacific/Pago_Pago"]))
def test_any_typed_dates_give_an_interval_or_say_what_to_type(words, today, zone):
    """Whatever is typed, parsing and resolving end in an aware interval (convertible to UTC) or a UsageError."""
    try:
        rng, _rest = take_range(tokenize(" ".join(words)))
        start, end = resolve_range(rng, today, zone)
    except UsageError:
        return
    assert start.astimezone(UTC) < end.astimezone(UTC)
