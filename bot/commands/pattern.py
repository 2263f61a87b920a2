"""`/oncall pattern <schedule> [handoff HH:MM] [length 12h|1d|7d|Nd] [tz Area/City]
[split-weekend on|off] [holidays 2026-12-25,2027-01-01|none] [roles primary|primary,secondary]`:
show or edit the shift pattern (edits: admins and the schedule's managers)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt import App

from bot.commands import registry
from bot.commands.parser import Arg, DateArg, UsageError, Word, describe, name_arg
from bot.commands.request import Request
from bot.services import workspace
from bot.services.authz import Action
from bot.services.pattern import ROLE_SETS, PatternEdit, current_summary, edit_pattern
from bot.views.common import context, message, section

USAGE = ("pattern <schedule> [handoff 09:00] [length 12h|1d|7d|Nd] [tz Europe/Berlin] [split-weekend on|off] "
         "[holidays 2026-12-25,2027-01-01|none] [roles primary|primary,secondary]")
KEYWORDS = {"handoff": "handoff", "length": "length", "tz": "tz", "timezone": "tz", "zone": "tz",
            "split-weekend": "split", "weekend": "split", "holidays": "holidays", "holiday": "holidays",
            "roles": "roles", "role": "roles"}
_LENGTH = re.compile(r"^(\d+(?:\.\d+)?)\s*([hdw])$")
_HANDOFF = re.compile(r"^([01]?\d|2[0-3])(?::([0-5]\d))?$")
ON, OFF = ("on", "yes", "true", "1"), ("off", "no", "false", "0")


@dataclass(frozen=True)
class PatternCmd:
    schedule: str
    edit: PatternEdit = PatternEdit()


def _text(arg: Arg) -> str:
    return arg.value.isoformat() if isinstance(arg, DateArg) else arg.text if isinstance(arg, Word) else describe(arg)


def parse_length(text: str) -> float:
    word = text.lower()
    word = {"daily": "1d", "weekly": "1w", "day": "1d", "week": "1w"}.get(word, word)
    m = _LENGTH.match(word)
    if not m:
        raise UsageError(f"`{text}` is not a shift length: write `12h`, `1d`, `7d` or `3d`.", USAGE)
    hours = float(m[1]) * {"h": 1, "d": 24, "w": 168}[m[2]]
    if not 1 <= hours <= 24 * 28:
        raise UsageError("A shift lasts between 1 hour and 28 days.", USAGE)
    return hours


def parse_holidays(values: list[str]) -> tuple[date, ...]:
    if [v.lower() for v in values] in (["none"], ["off"], ["-"]):
        return ()
    out = []
    for part in ",".join(values).split(","):
        if not part.strip():
            continue
        try:
            out.append(date.fromisoformat(part.strip()))
        except ValueError:
            raise UsageError(f"`{part.strip()}` is not a date: list holidays as `2026-12-25,2027-01-01`.", USAGE) from None
    return tuple(out)


def parse_roles(values: list[str]) -> tuple[str, ...]:
    """`primary` or `primary,secondary` (also `primary secondary`, `primary+secondary`)."""
    words = [w.strip().lower() for v in values for w in re.split(r"[,+\s]+", v) if w.strip()]
    roles = tuple(dict.fromkeys(words))
    for allowed in ROLE_SETS:
        if set(roles) == set(allowed) and len(roles) == len(words):
            return allowed
    raise UsageError(f"`{' '.join(values)}` is not a set of roles: write `roles primary` or "
                     "`roles primary,secondary`.", USAGE)


def _value(key: str, values: list[str]) -> object:
    if key == "holidays":
        return parse_holidays(values)
    if key == "roles":
        return parse_roles(values)
    if len(values) != 1:
        raise UsageError(f"`{key}` takes one value.", USAGE)
    v = values[0]
    if key == "handoff":
        m = _HANDOFF.match(v)
        if not m:
            raise UsageError(f"`{v}` is not a time of day: write the handoff as `09:00`.", USAGE)
        return time(int(m[1]), int(m[2] or 0))
    if key == "length":
        return parse_length(v)
    if key == "tz":
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(f"`{v}` is not a time zone: write it like `Europe/Berlin` or `America/New_York`.",
                             USAGE) from None
        return v
    if v.lower() not in ON + OFF:
        raise UsageError(f"`split-weekend` is `on` or `off`, not `{v}`.", USAGE)
    return v.lower() in ON


def parse_pattern(args: tuple[Arg, ...]) -> PatternCmd:
    first = next((i for i, a in enumerate(args) if isinstance(a, Word) and not a.quoted
                  and a.text.lower() in KEYWORDS), len(args))
    name = name_arg(args[:first], USAGE, what="schedule", required=True) or ""
    fields: dict[str, object] = {}
    i = first
    while i < len(args):
        key = KEYWORDS[args[i].text.lower()]  # type: ignore[union-attr]
        j = i + 1
        while j < len(args) and not (isinstance(args[j], Word) and args[j].text.lower() in KEYWORDS):
            j += 1
        values = [_text(a) for a in args[i + 1:j]]
        if not values:
            raise UsageError(f"`{args[i].text}` needs a value.", USAGE)  # type: ignore[union-attr]
        if key in fields:
            raise UsageError(f"`{key}` is given twice.", USAGE)
        fields[key] = _value(key, values)
        i = j
    return PatternCmd(name, PatternEdit(handoff=fields.get("handoff"), length_hours=fields.get("length"),
                                        time_zone=fields.get("tz"), split_weekend=fields.get("split"),
                                        holidays=fields.get("holidays"), roles=fields.get("roles")))


ACTION = Action.EDIT_PATTERN


def run(req: Request, cmd: PatternCmd) -> None:
    now = req.ctx.clock()
    schedule = workspace.schedule_named(req.ctx.engine, req.team_id, cmd.schedule)
    if cmd.edit.empty:
        lines = current_summary(req.ctx.engine, req.team_id, schedule.id, now)
        text = f"*{schedule.name}* shift pattern:\n" + "\n".join(f"• {x}" for x in lines)
        req.reply(message(text, [section(text), context(f"Change it with `/oncall {USAGE}`.")]))
        return
    if not req.require(ACTION, schedule):
        return
    result = edit_pattern(req.ctx, req.team_id, schedule.id, req.user_id, cmd.edit, now)
    now_lines = "\n".join(f"• {x}" for x in result.summary)
    if not result.changes:
        text = f"*{result.schedule_name}*: nothing to change, the pattern already is:\n{now_lines}"
        req.reply(message(text))
        return
    text = (f":gear: *{result.schedule_name}*: {'; '.join(result.changes)}. Planned again: {result.replanned} "
            f"future shift(s).\n{now_lines}")
    notes = "".join(f"\n• {n}" for n in result.notes)
    req.reply(message(text + notes, [section(text), *([section("*Roles*" + notes)] if notes else []), context(
        "Shifts already exported to the provider, or started, keep their times; the new pattern starts after "
        "them and the next sync exports it.")]))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "pattern", USAGE, "Show or change handoff, shift length, time zone, weekend split, holidays, roles (managers)",
        parse_pattern, run, slow=True,
    ))
