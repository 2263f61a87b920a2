"""The pure parser of swap, cover and undo."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.commands.dates import DaySpec, RangeSpec
from bot.commands.parser import UsageError, tokenize
from bot.commands.swap import SwapCmd, parse_cover, parse_swap, window_of
from bot.commands.undo import UndoCmd, parse_undo
from bot.services.swaps.select import Window

TODAY = date(2026, 11, 4)  # a Wednesday, as the swap tests' clock


def swap(text: str) -> SwapCmd:
    return parse_swap(tokenize(text))


def cover(text: str) -> SwapCmd:
    return parse_cover(tokenize(text))


def resolved(cmd: SwapCmd, today: date = TODAY, zone: str = "Europe/Berlin") -> tuple[SwapCmd, Window]:
    """The command without its symbolic dates, and the local dates they mean on `today`."""
    return replace(cmd, when=None), window_of(cmd.when, today, zone)


@pytest.mark.parametrize("text", ["<@U1|alice> <@U2|bob>", "<@U1> <@U2>", "<@U1|alice> <@U2>"])
def test_two_mentions_with_or_without_names(text):
    assert swap(text) == SwapCmd("swap", "U1", "U2")


def test_one_mention_means_me_and_them():
    assert swap("<@U2|bob>") == SwapCmd("swap", None, "U2")


def test_schedule_date_range_and_force():
    assert resolved(swap('<@U1> <@U2> Platform primary 2026-12-07')) == (
        SwapCmd("swap", "U1", "U2", "Platform primary"), Window(date(2026, 12, 7), date(2026, 12, 7)))
    assert resolved(swap('<@U2> "Platform primary" 2026-12-01..2026-12-14 force')) == (
        SwapCmd("swap", None, "U2", "Platform primary", force=True), Window(date(2026, 12, 1), date(2026, 12, 14)))
    assert resolved(swap("<@U2> 2026-12-01 to 2026-12-14"))[1].last == date(2026, 12, 14)
    assert swap("<@U2>").when is None and window_of(None, TODAY, "UTC") == Window()  # the next shift


@pytest.mark.parametrize(("text", "words"), [
    ("", "Name who to swap with"),
    ("Platform", "Name who to swap with"),
    ("<@U1> <@U2> <@U3>", "between two people"),
    ("<@U1|alice> <@U1>", "names <@U1> twice"),
    ("<@U2> <#C1|general>", "name people with @mentions"),
    ("<@U2> 2026-12-14..2026-12-01", "ends"),
    ("<@U2> 2026-12-01 2026-12-02 2026-12-03", "one date"),
])
def test_bad_swaps_say_what_to_type(text, words):
    with pytest.raises(UsageError) as err:
        swap(text)
    assert words in err.value.message and err.value.usage.startswith("swap @alice @bob")


def test_cover_forms():
    assert cover("<@U2|bob>") == SwapCmd("cover", None, "U2")
    assert resolved(cover("<@U2> for <@U1|alice> 2026-11-16")) == (SwapCmd("cover", "U1", "U2"),
                                                                    Window(date(2026, 11, 16), date(2026, 11, 16)))
    assert cover("<@U2> <@U1>") == SwapCmd("cover", "U1", "U2")
    with pytest.raises(UsageError, match="Name who takes your shift"):
        cover("2026-11-16")
    with pytest.raises(UsageError, match="twice"):
        cover("<@U2> for <@U2>")


@pytest.mark.parametrize(("text", "first", "last"), [
    ("<@U2|bob> tomorrow", date(2026, 11, 5), date(2026, 11, 5)),
    ("<@U2> today", date(2026, 11, 4), date(2026, 11, 4)),
    ("<@U2> fri", date(2026, 11, 6), date(2026, 11, 6)),
    ("<@U2> friday", date(2026, 11, 6), date(2026, 11, 6)),
    ("<@U2> 12-24", date(2026, 12, 24), date(2026, 12, 24)),
    ("<@U2> 12-24..12-31", date(2026, 12, 24), date(2026, 12, 31)),
    ("<@U2> 12-24 to 12-31", date(2026, 12, 24), date(2026, 12, 31)),
    ("<@U2> 12-24 12-31", date(2026, 12, 24), date(2026, 12, 31)),
    ("<@U2> 12-28..01-03", date(2026, 12, 28), date(2027, 1, 3)),  # across the new year
    ("<@U2> mon-fri", date(2026, 11, 9), date(2026, 11, 13)),
    ("<@U2> 11-01", date(2027, 11, 1), date(2027, 11, 1)),  # a past month-day: next year
    ("<@U2> fri 14:00 mon 09:00", date(2026, 11, 6), date(2026, 11, 9)),  # times: the days they fall on
])
def test_relative_dates_as_for_away(text, first, last):
    assert resolved(swap(text)) == (SwapCmd("swap", None, "U2"), Window(first, last))


def test_dates_stay_symbolic_until_resolved():
    assert swap("<@U2> tomorrow").when == RangeSpec(DaySpec("tomorrow", text="tomorrow"))
    assert swap("<@U2> fri").when == RangeSpec(DaySpec("weekday", 4, text="fri"))
    assert window_of(swap("<@U2> today").when, date(2026, 11, 5), "Pacific/Kiritimati") == Window(
        date(2026, 11, 5), date(2026, 11, 5))


def test_dates_with_schedule_names_and_force_in_any_order():
    assert resolved(swap("<@U1> <@U2> Platform primary tomorrow force")) == (
        SwapCmd("swap", "U1", "U2", "Platform primary", force=True), Window(date(2026, 11, 5), date(2026, 11, 5)))
    assert resolved(swap("<@U2> fri Platform primary")) == (
        SwapCmd("swap", None, "U2", "Platform primary"), Window(date(2026, 11, 6), date(2026, 11, 6)))
    assert resolved(cover("<@U3> for <@U1> 12-24 to 12-31")) == (
        SwapCmd("cover", "U1", "U3"), Window(date(2026, 12, 24), date(2026, 12, 31)))
    assert swap('<@U2> "Friday rota"').schedule == "Friday rota"  # quoted: a name, never a date


@pytest.mark.parametrize(("text", "words"), [
    ("<@U2> 12-45", "`12-45` is not a date I understand"),
    ("<@U2> 13/01", "`13/01` is not a date I understand"),
    ("<@U2> 12-24..12-45", "not a date I understand"),
    ("<@U2> 12-24 to", "`to` needs an end date"),
    ("<@U2> 12-24 to banana", "needs an end date after it, not `banana`"),
    ("<@U2> tomorrow fri mon", "Give one date, or a range"),
])
def test_bad_dates_say_what_to_type(text, words):
    with pytest.raises(UsageError) as err:
        swap(text)
    assert words in err.value.message and "`12-24`" in err.value.message and "`tomorrow`" in err.value.message
    assert err.value.usage.startswith("swap @alice @bob")
    with pytest.raises(UsageError) as err:
        cover(text)
    assert words in err.value.message and err.value.usage.startswith("cover @bob")


def test_a_relative_range_that_ends_before_it_starts_is_refused_when_resolved():
    cmd = swap("<@U2> tomorrow..today")  # pure parsing cannot know: only "today" tells
    with pytest.raises(UsageError, match="ends .* before it starts"):
        window_of(cmd.when, TODAY, "Europe/Berlin")


@pytest.mark.parametrize(("tz", "text", "day"), [
    (None, "today", date(2026, 11, 4)),  # no Slack zone: UTC
    ("Europe/Berlin", "today", date(2026, 11, 4)),
    ("Pacific/Kiritimati", "today", date(2026, 11, 5)),  # already Thursday there
    ("Pacific/Kiritimati", "tomorrow", date(2026, 11, 6)),
    ("America/Los_Angeles", "tomorrow", date(2026, 11, 5)),
])
def test_the_handler_resolves_in_the_requesters_slack_zone(tz, text, day):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from bot.commands.swap import query_of

    directory = SimpleNamespace(user=lambda uid: SimpleNamespace(tz=tz) if uid == "U1" else None)
    ctx = SimpleNamespace(clock=lambda: datetime(2026, 11, 4, 12, tzinfo=UTC))
    req = SimpleNamespace(team_id="T1", user_id="U1", directory=directory, ctx=ctx)
    q = query_of(req, swap(f"<@U2> {text}"))
    assert (q.a_user, q.b_user, q.window) == ("U1", "U2", Window(day, day))


def test_undo():
    assert parse_undo(tokenize("")) == UndoCmd()
    assert parse_undo(tokenize("12")) == UndoCmd(12)
    assert parse_undo(tokenize("#12")) == UndoCmd(12)
    for text in ("yesterday", "²", "٣", "#²", "99999999999999999999", "2147483648", "0", "12 13"):
        with pytest.raises(UsageError, match="number of a swap"):
            parse_undo(tokenize(text))


def test_a_link_where_the_schedule_name_goes_is_refused_without_repeating_it():
    with pytest.raises(UsageError, match="Name the schedule, not a link") as exc:
        parse_swap(tokenize("<@U2> <https://cal.example.com/s3cret.ics>"))
    assert "s3cret" not in str(exc.value)
