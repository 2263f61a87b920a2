"""Pure parsing of `/oncall swap`, `/oncall cover` and `/oncall undo` (no Slack, no I/O).

    swap @alice @bob [schedule] [date | date..date | date to date] [force]
    swap @bob …                    me and Bob
    cover @bob [for @alice] …      Bob takes my (Alice's) shift
    undo [swap id]

Mentions arrive as `<@U123|name>` or `<@U123>` (see `bot.commands.parser.tokenize`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.commands.parser import Arg, DateArg, UsageError, UserRef, Word, describe

SWAP_USAGE = "swap @alice @bob [schedule] [date | from..to]"
COVER_USAGE = "cover @bob [for @alice] [schedule] [date | from..to]"
UNDO_USAGE = "undo [swap id]"
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.|/)(\d{4}-\d{2}-\d{2})$")
_JOINERS = {"to", "until", "till", "through", "-", "–", "—"}
_FORCE = {"force", "--force", "forced"}


@dataclass(frozen=True)
class SwapCmd:
    """`a` gives (None: the requester), `b` receives. A swap also moves b's shifts to a."""

    kind: str  # "swap" | "cover"
    a: str | None
    b: str
    schedule: str | None = None
    first: date | None = None
    last: date | None = None
    force: bool = False


@dataclass(frozen=True)
class UndoCmd:
    request_id: int | None = None


def parse_swap(args: tuple[Arg, ...]) -> SwapCmd:
    users, rest = _split_users(args, SWAP_USAGE, "swap")
    if not users:
        raise UsageError("Name who to swap with, e.g. `/oncall swap @bob` (you and Bob) or "
                         "`/oncall swap @alice @bob`.", SWAP_USAGE)
    if len(users) > 2:
        raise UsageError(f"A swap is between two people; you named {len(users)}.", SWAP_USAGE)
    a, b = (None, users[0]) if len(users) == 1 else (users[0], users[1])
    if a == b:
        raise UsageError(f"That names <@{b}> twice: a swap needs two different people.", SWAP_USAGE)
    return SwapCmd("swap", a, b, *_rest(rest, SWAP_USAGE))


def parse_cover(args: tuple[Arg, ...]) -> SwapCmd:
    words = list(args)
    covered = None
    for i, arg in enumerate(words[:-1]):
        if isinstance(arg, Word) and not arg.quoted and arg.text.lower() == "for" and isinstance(words[i + 1], UserRef):
            covered = words[i + 1].id
            del words[i : i + 2]
            break
    users, rest = _split_users(tuple(words), COVER_USAGE, "cover")
    if not users:
        raise UsageError("Name who takes your shift, e.g. `/oncall cover @bob`.", COVER_USAGE)
    if covered is None and len(users) == 2:
        users, covered = users[:1], users[1]
    if len(users) > 1:
        raise UsageError("Name one person to take the shift (and `for @someone` when it is not yours).", COVER_USAGE)
    if covered == users[0]:
        raise UsageError(f"That names <@{covered}> twice: someone else has to take the shift.", COVER_USAGE)
    return SwapCmd("cover", covered, users[0], *_rest(rest, COVER_USAGE))


def parse_undo(args: tuple[Arg, ...]) -> UndoCmd:
    if not args:
        return UndoCmd()
    raw = describe(args[0]).strip('"').lstrip("#")
    if len(args) > 1 or not raw.isdigit():
        raise UsageError("Undo takes the number of a swap, e.g. `/oncall undo 12` (or nothing: your latest swap).",
                         UNDO_USAGE)
    return UndoCmd(int(raw))


def _split_users(args: tuple[Arg, ...], usage: str, verb: str) -> tuple[list[str], list[Arg]]:
    users, rest = [], []
    for arg in args:
        if isinstance(arg, UserRef):
            users.append(arg.id)
        elif isinstance(arg, Word | DateArg):
            rest.append(arg)
        else:
            raise UsageError(f"Cannot {verb} with {describe(arg)}: name people with @mentions.", usage)
    return users, rest


def _rest(rest: list[Arg], usage: str) -> tuple[str | None, date | None, date | None, bool]:
    """Schedule name words, dates and `force` from what follows the mentions."""
    dates: list[date] = []
    name: list[str] = []
    force = False
    for arg in rest:
        if isinstance(arg, DateArg):
            dates.append(arg.value)
            continue
        text = arg.text
        m = _RANGE.match(text) if not arg.quoted else None
        if m:
            try:
                dates += [date.fromisoformat(m[1]), date.fromisoformat(m[2])]
            except ValueError:
                raise UsageError(f"`{text}` has an invalid date: write dates as YYYY-MM-DD.", usage) from None
        elif not arg.quoted and text.lower() in _FORCE:
            force = True
        elif not arg.quoted and text.lower() in _JOINERS and dates:
            continue
        else:
            name.append(text)
    if len(dates) > 2:
        raise UsageError("Give one date, or a range `2026-12-01..2026-12-14`.", usage)
    first = dates[0] if dates else None
    last = dates[-1] if dates else None
    if first and last and last < first:
        raise UsageError(f"The range ends ({last}) before it starts ({first}).", usage)
    return (" ".join(name).strip() or None), first, last, force
