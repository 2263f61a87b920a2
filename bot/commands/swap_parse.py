"""Pure parsing of `/oncall swap`, `/oncall cover` and `/oncall undo` (no Slack, no I/O).

    swap @alice @bob [schedule] [date | date..date | date to date] [force]
    swap @bob …                    me and Bob
    cover @bob [for @alice] …      Bob takes my (Alice's) shift
    undo [swap id]

Mentions arrive as `<@U123|name>` or `<@U123>` (see `bot.commands.parser.tokenize`). Dates are
those of `/oncall away` (`bot.commands.dates`: `2026-12-24`, `12-24`, `today`, `tomorrow`, `fri`,
ranges): they stay symbolic here and are resolved once "today" in the requester's zone is known.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.dates import DATE_HELP, RangeSpec, starts_date, take_range
from bot.commands.parser import Arg, DateArg, UsageError, UserRef, Word, describe, id_arg, is_link

SWAP_USAGE = "swap @alice @bob [schedule] [date | from..to]"
COVER_USAGE = "cover @bob [for @alice] [schedule] [date | from..to]"
UNDO_USAGE = "undo [swap id]"
_FORCE = {"force", "--force", "forced"}


@dataclass(frozen=True)
class SwapCmd:
    """`a` gives (None: the requester), `b` receives. A swap also moves b's shifts to a."""

    kind: str  # "swap" | "cover"
    a: str | None
    b: str
    schedule: str | None = None
    when: RangeSpec | None = None  # symbolic (`tomorrow`, `fri`, `12-24..12-31`); None: the next shift
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
    request_id = id_arg(args[0]) if len(args) == 1 else None
    if request_id is None:
        raise UsageError("Undo takes the number of a swap, e.g. `/oncall undo 12` (or nothing: your latest swap).",
                         UNDO_USAGE)
    return UndoCmd(request_id)


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


def _rest(rest: list[Arg], usage: str) -> tuple[str | None, RangeSpec | None, bool]:
    """Schedule name words, the date or range and `force` from what follows the mentions."""
    name: list[str] = []
    when: RangeSpec | None = None
    force = False
    i = 0
    while i < len(rest):
        arg = rest[i]
        word = arg.value.isoformat() if isinstance(arg, DateArg) else None if arg.quoted else arg.text
        if word is not None and starts_date(word):
            if when is not None:
                raise UsageError(f"Give one date, or a range like `12-24..12-31`. {DATE_HELP}", usage)
            when, tail = take_range(tuple(rest[i:]), usage)
            i = len(rest) - len(tail)
            continue
        if word is not None and word.lower() in _FORCE:
            force = True
        elif is_link(arg.text):
            raise UsageError("Name the schedule, not a link.", usage)
        else:
            name.append(arg.text)
        i += 1
    if when is not None and when.end is not None and when.start.kind == when.end.kind == "date" \
            and when.end.value < when.start.value:
        raise UsageError(f"The range ends ({when.end.value}) before it starts ({when.start.value}).", usage)
    return (" ".join(name).strip() or None), when, force
