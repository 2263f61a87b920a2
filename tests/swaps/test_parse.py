"""The pure parser of swap, cover and undo."""

from __future__ import annotations

from datetime import date

import pytest

from bot.commands.parser import UsageError, tokenize
from bot.commands.swap_parse import SwapCmd, UndoCmd, parse_cover, parse_swap, parse_undo


def swap(text: str) -> SwapCmd:
    return parse_swap(tokenize(text))


def cover(text: str) -> SwapCmd:
    return parse_cover(tokenize(text))


@pytest.mark.parametrize("text", ["<@U1|alice> <@U2|bob>", "<@U1> <@U2>", "<@U1|alice> <@U2>"])
def test_two_mentions_with_or_without_names(text):
    assert swap(text) == SwapCmd("swap", "U1", "U2")


def test_one_mention_means_me_and_them():
    assert swap("<@U2|bob>") == SwapCmd("swap", None, "U2")


def test_schedule_date_range_and_force():
    assert swap('<@U1> <@U2> Platform primary 2026-12-07') == SwapCmd(
        "swap", "U1", "U2", "Platform primary", date(2026, 12, 7), date(2026, 12, 7))
    assert swap('<@U2> "Platform primary" 2026-12-01..2026-12-14 force') == SwapCmd(
        "swap", None, "U2", "Platform primary", date(2026, 12, 1), date(2026, 12, 14), force=True)
    assert swap("<@U2> 2026-12-01 to 2026-12-14").last == date(2026, 12, 14)


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
    assert cover("<@U2> for <@U1|alice> 2026-11-16") == SwapCmd("cover", "U1", "U2", None, date(2026, 11, 16),
                                                              date(2026, 11, 16))
    assert cover("<@U2> <@U1>") == SwapCmd("cover", "U1", "U2")
    with pytest.raises(UsageError, match="Name who takes your shift"):
        cover("2026-11-16")
    with pytest.raises(UsageError, match="twice"):
        cover("<@U2> for <@U2>")


def test_undo():
    assert parse_undo(tokenize("")) == UndoCmd()
    assert parse_undo(tokenize("12")) == UndoCmd(12)
    assert parse_undo(tokenize("#12")) == UndoCmd(12)
    with pytest.raises(UsageError, match="number of a swap"):
        parse_undo(tokenize("yesterday"))
