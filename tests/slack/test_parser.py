"""The pure /oncall parser: the shared grammar (`bot.commands.parser`) and the subcommands' own parsers."""

from __future__ import annotations

from datetime import date

import pytest

from bot.commands import parser as p
from bot.commands.connect import parse_connect
from bot.commands.connections import parse_connections
from bot.commands.edit import parse_edit
from bot.commands.help import HelpCmd, parse_help
from bot.commands.schedules import parse_schedules
from bot.commands.status import parse_status
from bot.commands.unlink import parse_unlink
from bot.commands.who import WhoCmd, parse_who


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("", "", ()),
        ("   ", "", ()),
        ("help", "help", ()),
        ("STATUS Platform", "status", (p.Word("Platform"),)),
        ("who <@U123|alice>", "who", (p.UserRef("U123"),)),
        ("who <@W999>", "who", (p.UserRef("W999"),)),
        ("who <#C123|ops>", "who", (p.ChannelRef("C123", "ops"),)),
        ("who <#C123|>", "who", (p.ChannelRef("C123", ""),)),
        ('status "Platform primary"', "status", (p.Word("Platform primary", quoted=True),)),
        ("status “Platform primary”", "status", (p.Word("Platform primary", quoted=True),)),
        ("away 2026-12-24 2026-12-26", "away", (p.DateArg(date(2026, 12, 24)), p.DateArg(date(2026, 12, 26)))),
        ("who <!here>", "who", (p.Special("here"),)),
        ("status R&amp;D", "status", (p.Word("R&D"),)),
    ],
)
def test_split(text, name, args):
    inv = p.split(text)
    assert (inv.name, inv.args) == (name, args)


def test_quoted_first_word_is_not_a_subcommand():
    assert p.split('"status"').name == ""


def test_bad_date():
    with pytest.raises(p.UsageError, match="YYYY-MM-DD"):
        p.split("away 2026-02-30")


def test_names_join_bare_words():
    assert parse_status((p.Word("Platform"), p.Word("primary"))).schedule == "Platform primary"
    assert parse_status(()).schedule is None
    assert parse_schedules(p.split("schedules Acme PD").args).connection == "Acme PD"


def test_quoted_name_with_extra_text_is_refused():
    with pytest.raises(p.UsageError, match="extra text"):
        parse_status(p.split('status "Platform" primary').args)


@pytest.mark.parametrize("text", ["connect now", "connections <@U1>"])
def test_no_argument_commands_refuse_extras(text):
    inv = p.split(text)
    with pytest.raises(p.UsageError, match="takes no arguments") as err:
        {"connect": parse_connect, "connections": parse_connections}[inv.name](inv.args)
    assert err.value.usage.split()[0] == inv.name


def test_required_name_missing():
    with pytest.raises(p.UsageError, match="Missing the schedule name") as err:
        parse_unlink(())
    assert err.value.usage == "unlink <schedule>"
    with pytest.raises(p.UsageError):
        parse_edit(())


def test_mentions_where_a_name_is_expected():
    with pytest.raises(p.UsageError, match=r"got <@U1>"):
        parse_status(p.split("status <@U1|alice>").args)


def test_who_by_channel_or_name():
    assert parse_who(p.split("who <#C9|ops>").args) == WhoCmd(channel_id="C9")
    assert parse_who(p.split("who Platform").args) == WhoCmd(schedule="Platform")
    assert parse_who(()) == WhoCmd()
    with pytest.raises(p.UsageError):
        parse_who(p.split("who <@U1>").args)


def test_help_topic():
    assert parse_help(p.split("help link").args) == HelpCmd(topic="link")


def test_links_are_never_repeated_in_messages():
    typed = "calendr <https://cal.example.com/s3cret/basic.ics|cal.example.com/s3cret/basic.ics> www.x.org/k"
    assert p.describe(p.Word("<https://cal.example.com/s3cret.ics>")) == p.HIDDEN_LINK
    assert p.describe(p.Word("webcal://cal.example.com/s3cret.ics", quoted=True)) == f'"{p.HIDDEN_LINK}"'
    assert p.shown("Platform") == "Platform" and p.shown("12-24") == "12-24"
    message = ("No schedule named `<https://cal.example.com/s3cret/basic.ics|cal.example.com/s3cret/basic.ics>`, "
               "nor https://cal.example.com/s3cret/basic.ics, nor www.x.org/k; see https://example.com/docs")
    hidden = p.hide_links(message, typed)
    assert "s3cret" not in hidden and "x.org/k" not in hidden and hidden.count(p.HIDDEN_LINK) == 3
    assert "https://example.com/docs" in hidden, "only links the person typed are hidden"
    with pytest.raises(p.UsageError, match="Expected a schedule name, not a link") as exc:
        parse_status(p.tokenize("status <https://cal.example.com/s3cret.ics>")[1:])
    assert "s3cret" not in str(exc.value)
