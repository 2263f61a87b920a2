"""Pure parsing of the dates people type after `/oncall away` (no Slack, no clock).

Accepted: `2026-12-24`, `12-24`, `today`, `tomorrow`, weekday names (`friday`, `fri`), each
optionally followed by a time (`14:00`); a range as two of them (`12-24 12-31`), joined
(`12-24..12-31`, `mon-fri`), or with a word between (`12-24 to 12-31`, `until`, `through`, `-`).

Parsing keeps the words symbolic (`DaySpec`); `resolve_range` turns them into an aware
interval once the caller knows "today" in the person's time zone. A date without a time covers
the whole day: the interval ends at midnight after the last day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands.parser import Arg, DateArg, UsageError, Word, describe, shown

DATE_HELP = ("Dates: `2026-12-24`, `12-24`, `today`, `tomorrow` or a weekday (`fri`), optionally with a time "
             "(`tomorrow 14:00`); a range: `12-24 12-31` or `12-24..12-31`.")
WEEKDAYS = {name: i for i, names in enumerate((
    ("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"), ("thursday", "thu", "thur", "thurs"),
    ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun"),
)) for name in names}
RANGE_WORDS = {"to", "until", "till", "through", "thru", "-", "–", "—", ".."}
_MONTHDAY = re.compile(r"^(\d{1,2})[-/](\d{1,2})$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:h]([0-5]\d)$")
_JOINERS = ("..", "–", "—")
_DATEISH = re.compile(r"^\d{1,4}[-/.]+\d")  # meant as a date, even when mistyped (`12-45`, `2026-12-01..x`)
YEARS_AWAY = 10  # dates further from today are refused (year 9999 would overflow the arithmetic)


@dataclass(frozen=True)
class DaySpec:
    """One typed day: `kind` is "date" (value: date), "monthday" (value: (month, day)),
    "today", "tomorrow" or "weekday" (value: 0=Monday); `at` an optional local time."""

    kind: str
    value: date | tuple[int, int] | int | None = None
    at: time | None = None
    text: str = ""


@dataclass(frozen=True)
class RangeSpec:
    start: DaySpec
    end: DaySpec | None = None


def parse_day(text: str, usage: str | None = None) -> DaySpec:
    """One day word; raises UsageError saying what to type."""
    word = text.strip().lower().rstrip(",")
    if word in ("today", "now"):
        return DaySpec("today", text=text)
    if word in ("tomorrow", "tmrw", "tmr"):
        return DaySpec("tomorrow", text=text)
    if word in WEEKDAYS:
        return DaySpec("weekday", WEEKDAYS[word], text=text)
    if _ISO.match(word):
        try:
            return DaySpec("date", date.fromisoformat(word), text=text)
        except ValueError:
            pass
    elif m := _MONTHDAY.match(word):
        month, day = int(m[1]), int(m[2])
        try:
            date(2024, month, day)  # a leap year: 02-29 is a real month-day
        except ValueError:
            pass
        else:
            return DaySpec("monthday", (month, day), text=text)
    raise UsageError(f"`{shown(text)}` is not a date I understand. {DATE_HELP}", usage)


def is_day(text: str) -> bool:
    try:
        parse_day(text)
    except UsageError:
        return False
    return True


def _time(text: str) -> time | None:
    m = _TIME.match(text.strip().lower())
    return time(int(m[1]), int(m[2])) if m else None


def _word(arg: Arg) -> str | None:
    if isinstance(arg, DateArg):
        return arg.value.isoformat()
    if isinstance(arg, Word) and not arg.quoted:
        return arg.text
    return None


def _split_joined(text: str) -> tuple[str, str] | None:
    """`12-24..12-31`, `mon-fri`, `today–friday`: two day words in one token."""
    for joiner in _JOINERS:
        if joiner in text:
            a, _, b = text.partition(joiner)
            if is_day(a) and is_day(b):
                return a, b
    if text.count("-") == 1 and not _MONTHDAY.match(text):
        a, _, b = text.partition("-")
        if is_day(a) and is_day(b):
            return a, b
    return None


def starts_date(text: str) -> bool:
    """Whether a word is meant as a day or a joined range (`fri`, `12-24..12-31`, `mon-fri`), so a
    command can tell dates from its other words. Mistyped dates count (`12-45`): `take_range`
    then says what to type instead of the word ending up somewhere else."""
    word = text.strip().lower()
    return is_day(word) or _split_joined(word) is not None or bool(_DATEISH.match(word))


def take_range(args: tuple[Arg, ...], usage: str | None = None) -> tuple[RangeSpec, tuple[Arg, ...]]:
    """A start day (required) and an optional end from the front of `args`; returns the rest."""
    i = 0

    def day_at(k: int) -> DaySpec | None:
        word = _word(args[k]) if k < len(args) else None
        return parse_day(word) if word is not None and is_day(word) else None

    def with_time(spec: DaySpec, k: int) -> tuple[DaySpec, int]:
        word = _word(args[k]) if k < len(args) else None
        at = _time(word) if word else None
        return (DaySpec(spec.kind, spec.value, at, spec.text), k + 1) if at else (spec, k)

    if not args:
        raise UsageError(f"Say when. {DATE_HELP}", usage)
    first = _word(args[0])
    if first is None:
        raise UsageError(f"Expected a date, got {describe(args[0])}. {DATE_HELP}", usage)
    joined = _split_joined(first)
    if joined:
        return RangeSpec(parse_day(joined[0]), parse_day(joined[1])), args[1:]
    start = parse_day(first, usage)  # a bad first word says what to type
    start, i = with_time(start, 1)
    end = None
    nxt = _word(args[i]) if i < len(args) else None
    if nxt is not None and nxt.lower() in RANGE_WORDS:
        end = day_at(i + 1)
        if end is None:
            after = _word(args[i + 1]) if i + 1 < len(args) else None
            raise UsageError(f"`{nxt}` needs an end date after it{f', not `{shown(after)}`' if after else ''}. "
                             f"{DATE_HELP}", usage)
        end, i = with_time(end, i + 2)
    elif (end := day_at(i)) is not None:
        end, i = with_time(end, i + 1)
    return RangeSpec(start, end), args[i:]


def resolve_day(spec: DaySpec, base: date) -> date:
    """The date `spec` means, on or after `base` for relative words (weekday names, month-days)."""
    if spec.kind == "today":
        return base
    if spec.kind == "tomorrow":
        return base + timedelta(days=1)
    if spec.kind == "weekday":
        return base + timedelta(days=(int(spec.value) - base.weekday()) % 7)
    if spec.kind == "monthday":
        month, day = spec.value  # type: ignore[misc]
        for year in range(base.year, base.year + 9):  # 02-29 recurs within 8 years (2096 → 2104)
            try:
                candidate = date(year, month, day)
            except ValueError:  # 02-29 outside a leap year
                continue
            if candidate >= base:
                return candidate
    assert isinstance(spec.value, date)
    return spec.value


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 02-29 → 02-28
        return day.replace(year=day.year + years, day=28)


def in_reach(day: date, today: date) -> bool:
    """Whether `day` is within YEARS_AWAY years of `today` (dates further away are refused)."""
    return _years_from(today, -YEARS_AWAY) <= day <= _years_from(today, YEARS_AWAY)


def _near(spec: DaySpec, day: date, today: date) -> date:
    """`day` when it is within YEARS_AWAY years of `today`; else a UsageError naming the dates that work."""
    if not in_reach(day, today):
        first, last = (_years_from(today, k) for k in (-YEARS_AWAY, YEARS_AWAY))
        raise UsageError(f"`{spec.text or day.isoformat()}` is more than {YEARS_AWAY} years away: give a date "
                         f"between {first.isoformat()} and {last.isoformat()}. {DATE_HELP}")
    return day


def resolve_range(rng: RangeSpec, today: date, time_zone: str) -> tuple[datetime, datetime]:
    """The aware interval [start, end) in `time_zone`; raises UsageError when it ends before it starts
    or a day is more than YEARS_AWAY years from `today`."""
    zone = ZoneInfo(time_zone)
    start_day = _near(rng.start, resolve_day(rng.start, today), today)
    end_spec = rng.end or DaySpec(rng.start.kind, rng.start.value, None, rng.start.text)
    # "tomorrow" as an end is relative to today; weekday and month-day ends to the start day
    end_base = today if end_spec.kind in ("today", "tomorrow") else start_day
    end_day = _near(end_spec, resolve_day(end_spec, end_base), today)
    start = datetime.combine(start_day, rng.start.at or time(0), zone)
    if end_spec.at is not None:
        end = datetime.combine(end_day, end_spec.at, zone)
    else:
        end = datetime.combine(end_day + timedelta(days=1), time(0), zone)
    if end <= start:
        raise UsageError(f"That ends ({end:%a %d %b %H:%M}) before it starts ({start:%a %d %b %H:%M}).")
    return start, end
