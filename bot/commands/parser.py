"""Pure parsing of `/oncall` text into command dataclasses. No Slack, no I/O.

Slack escapes the text (manifest `should_escape: true`): users arrive as `<@U123|name>` or
`<@U123>`, channels as `<#C123|name>` or `<#C123|>`. Names may be quoted ("Platform primary",
“curly quotes” too) or written as bare words: a command taking one name joins its words.

This module is the grammar every subcommand shares (tokens, `name_arg`, `no_args`, `id_arg`, hiding
typed links); `bot.commands.dates` is the shared grammar of days and ranges. Each subcommand's
`XCmd` dataclass and pure `parse_x(args) -> XCmd` live in its own module next to its `run`, and
are registered with `bot.commands.registry.add(Subcommand(...))`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.commands.values import row_id

_TOKEN = re.compile(
    r"""
    <@(?P<user>[UW][A-Z0-9]+)(?:\|[^>]*)?>          # user mention
  | <\#(?P<channel>[CGD][A-Z0-9]+)(?:\|(?P<cname>[^>]*))?>  # channel mention
  | <!(?P<special>[^>]+)>                           # @here, user groups…
  | "(?P<dq>[^"]*)"                                 # "quoted"
  | “(?P<cq>[^”]*)”                                 # “curly quoted”
  | '(?P<sq>[^']*)'                                 # 'single quoted'
  | (?P<word>\S+)
    """,
    re.X,
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# a link as typed (Slack sends `<https://…>` or `<https://…|label>`): may be a secret (calendar feeds)
_LINK = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>|`\"]+", re.I)
HIDDEN_LINK = "(link hidden)"


class UsageError(ValueError):
    """The text does not fit the subcommand. `message` says what was wrong, `usage` what to type."""

    def __init__(self, message: str, usage: str | None = None):
        super().__init__(message)
        self.message = message
        self.usage = usage

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Word:
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class UserRef:
    id: str


@dataclass(frozen=True)
class ChannelRef:
    id: str
    name: str = ""


@dataclass(frozen=True)
class DateArg:
    value: date


@dataclass(frozen=True)
class Special:
    text: str  # e.g. "here", "subteam^S123"


Arg = Word | UserRef | ChannelRef | DateArg | Special


@dataclass(frozen=True)
class Invocation:
    """The subcommand word (lower-cased, "" when the text is empty) and its arguments."""

    name: str
    args: tuple[Arg, ...]
    text: str


def tokenize(text: str) -> tuple[Arg, ...]:
    args: list[Arg] = []
    for m in _TOKEN.finditer(text or ""):
        if m["user"]:
            args.append(UserRef(m["user"]))
        elif m["channel"]:
            args.append(ChannelRef(m["channel"], m["cname"] or ""))
        elif m["special"]:
            args.append(Special(m["special"]))
        elif m["dq"] is not None or m["cq"] is not None or m["sq"] is not None:
            quoted = next(g for g in (m["dq"], m["cq"], m["sq"]) if g is not None)
            args.append(Word(_unescape(quoted).strip(), quoted=True))
        else:
            word = _unescape(m["word"])
            if _DATE.match(word):
                try:
                    args.append(DateArg(date.fromisoformat(word)))
                    continue
                except ValueError:
                    raise UsageError(f"`{word}` is not a valid date: write dates as YYYY-MM-DD.") from None
            args.append(Word(word))
    return tuple(args)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def split(text: str) -> Invocation:
    """`"status Platform"` → Invocation("status", (Word("Platform"),))."""
    args = tokenize(text)
    if not args:
        return Invocation("", (), text or "")
    head = args[0]
    if not isinstance(head, Word) or head.quoted:
        return Invocation("", args, text)  # no subcommand word: routed to help with a hint
    return Invocation(head.text.lower(), args[1:], text)


def is_link(text: str) -> bool:
    return bool(_LINK.search(text))


def shown(text: str) -> str:
    """`text` as an error message may repeat it: never a link, which may be a secret."""
    return HIDDEN_LINK if is_link(text) else text


def hide_links(message: str, typed: str) -> str:
    """`message` without any link that appears in `typed` (with its `<…|label>` wrapping)."""
    for link in dict.fromkeys(_LINK.findall(_unescape(typed or ""))):
        message = re.sub(rf"<?{re.escape(link)}(?:\|[^>\s]*)?>?", HIDDEN_LINK, message)
    return message


def describe(arg: Arg) -> str:
    """How an argument reads back in an error message (links hidden)."""
    if isinstance(arg, UserRef):
        return f"<@{arg.id}>"
    if isinstance(arg, ChannelRef):
        return f"<#{arg.id}>"
    if isinstance(arg, DateArg):
        return arg.value.isoformat()
    if isinstance(arg, Special):
        return f"<!{arg.text}>"
    return f'"{shown(arg.text)}"' if arg.quoted else shown(arg.text)


def id_arg(arg: Arg) -> int | None:
    """A row id typed as one word (`12`, `#12`, `"12"`): ASCII digits within the id columns' range
    (`²`, `٣` and 99999999999 are no id), else None."""
    return row_id(arg.text) if isinstance(arg, Word) else None


# ---------------------------------------------------------------- shared argument rules


def no_args(args: tuple[Arg, ...], usage: str) -> None:
    if args:
        extra = " ".join(describe(a) for a in args)
        raise UsageError(f"`/oncall {usage.split()[0]}` takes no arguments (got {extra}).", usage)


def name_arg(args: tuple[Arg, ...], usage: str, *, what: str, required: bool) -> str | None:
    """One name made of the remaining words (bare words are joined; one quoted name also works)."""
    if not args:
        if required:
            raise UsageError(f"Missing the {what} name.", usage)
        return None
    bad = [a for a in args if not isinstance(a, Word | DateArg)]
    if bad:
        raise UsageError(f"Expected a {what} name, got {describe(bad[0])}.", usage)
    if any(isinstance(a, Word) and is_link(a.text) for a in args):
        raise UsageError(f"Expected a {what} name, not a link.", usage)
    if any(isinstance(a, Word) and a.quoted for a in args) and len(args) > 1:
        extra = " ".join(describe(a) for a in args[1:])
        raise UsageError(f"Expected one {what} name, got extra text: {extra}.", usage)
    name = " ".join(a.text if isinstance(a, Word) else a.value.isoformat() for a in args).strip()
    if not name:
        raise UsageError(f"The {what} name is empty.", usage)
    return name
