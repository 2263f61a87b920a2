"""Time off from a member's calendar feed (an ICS URL, as Google Calendar and Outlook publish).

`blocking_time_off` is pure (text in, intervals out); fetching lives in `bot.services.calendar_fetch`.
A calendar event blocks on-call when it is all-day, marked out-of-office (Outlook's
X-MICROSOFT-CDO-BUSYSTATUS:OOF, or a title saying "out of office"), or its title contains
"no oncall" / "no on-call" (case-insensitive). Cancelled events never block. Recurring events
are expanded with `recurring-ical-events`.

A feed is written by whoever controls the URL, so reading one is bounded (`FeedLimits`): only
events that can block are expanded, at most `max_window_days` ahead; a recurring event whose rule
would take more than the remaining `max_steps` iterations (a `FREQ=SECONDLY` "no oncall" is
millions) is skipped before expansion, and at most `max_occurrences` blocking occurrences are
read. `FeedBlocks.stopped` says when a limit cut something, for the feed's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from .model import TimeOff, Window

BLOCKING_WORDS = ("no oncall", "no on-call", "no on call", "out of office")


@dataclass(frozen=True)
class FeedLimits:
    max_occurrences: int = 1000  # blocking occurrences read per feed
    max_steps: int = 200_000  # recurrence-rule iterations per feed (from each rule's DTSTART)
    max_window_days: int = 366


FEED_LIMITS = FeedLimits()


@dataclass(frozen=True)
class FeedBlocks:
    time_off: list[TimeOff]
    occurrences: int  # blocking occurrences read
    stopped: bool = False  # more blocking occurrences than `max_occurrences`
    skipped: int = 0  # recurring events not expanded: over the iteration or occurrence budget

    @property
    def limited(self) -> str | None:
        """What a limit cut, in words for the feed's status (None: nothing)."""
        parts = [f"stopped after {self.occurrences} events"] if self.stopped else []
        if self.skipped:
            parts.append(f"skipped {self.skipped} recurring event(s) that repeat too often")
        return "; ".join(parts) or None


# the shortest time between two periods of each frequency (a month is at least 28 days)
_PERIOD_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400,
                   "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400}


def _as_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    return datetime.combine(value, time(0), zone).astimezone(UTC)


def _text(component, name: str) -> str:
    value = component.get(name)
    return str(value) if value is not None else ""


def is_blocking(event) -> bool:
    """Whether one (expanded) VEVENT blocks on-call."""
    if _text(event, "STATUS").upper() == "CANCELLED":
        return False
    start = event.get("DTSTART")
    if start is not None and not isinstance(start.dt, datetime):
        return True  # all-day
    for prop in ("X-MICROSOFT-CDO-BUSYSTATUS", "X-MICROSOFT-CDO-INTENDEDSTATUS"):
        if _text(event, prop).upper() == "OOF":
            return True
    summary = _text(event, "SUMMARY").lower()
    return any(word in summary for word in BLOCKING_WORDS)


def _recurs(event) -> bool:
    return any(event.get(p) is not None for p in ("RRULE", "RDATE", "RECURRENCE-ID"))


def _rules(event) -> list:
    rules = event.get("RRULE")
    return [] if rules is None else rules if isinstance(rules, list) else [rules]


def _dates(event, name: str) -> int:
    """How many dates the (possibly repeated) RDATE/EXDATE property lists."""
    value = event.get(name)
    lists = [] if value is None else value if isinstance(value, list) else [value]
    return sum(len(v.dts) for v in lists)


def _cost(event, start: datetime, end: datetime) -> tuple[int, int]:
    """(iterations from DTSTART, occurrences in [start, end)): upper bounds for one component,
    from its rules alone, so a recurrence bomb is recognised before it is expanded."""
    first = _as_utc(event.get("DTSTART").dt, UTC) if event.get("DTSTART") is not None else start
    steps = inside = 1 + _dates(event, "RDATE")
    for rule in _rules(event):
        period = _PERIOD_SECONDS.get(str((rule.get("FREQ") or ["DAILY"])[0]).upper(), 1)
        period *= max(int((rule.get("INTERVAL") or [1])[0]), 1)
        stop = end
        if rule.get("UNTIL"):
            stop = min(stop, _as_utc(rule["UNTIL"][0], UTC))
        per_period = 1
        for key, values in rule.items():
            if key.startswith("BY") and key != "BYSETPOS":
                per_period *= max(len(values) if isinstance(values, list) else 1, 1)
        total = max((stop - first).total_seconds(), 0) / period + 1
        if rule.get("COUNT") and per_period == 1:
            total = min(total, int(rule["COUNT"][0]))
        steps += int(total * per_period)
        inside += int((max((stop - max(first, start)).total_seconds(), 0) / period + 1) * per_period)
    return steps, inside


def _candidates(cal, start: datetime, end: datetime, limits: FeedLimits) -> tuple[list, int]:
    """The components to read: every event of a UID where one component can block, minus the
    recurring ones over the remaining budget; (components, how many UIDs were skipped)."""
    groups: dict[str, list] = {}
    for n, event in enumerate(cal.walk("VEVENT")):
        groups.setdefault(_text(event, "UID") or f"#{n}", []).append(event)
    single, recurring, skipped = [], [], 0
    steps, inside = limits.max_steps, limits.max_occurrences
    for events in groups.values():
        if not any(is_blocking(e) for e in events):
            continue
        if len(events) == 1 and not _recurs(events[0]):
            single.append(events[0])
            continue
        cost = [_cost(e, start, end) for e in events]
        need_steps, need_inside = sum(c[0] for c in cost), sum(c[1] for c in cost)
        if need_steps > steps or need_inside > inside:
            skipped += 1
            continue
        steps, inside = steps - need_steps, inside - need_inside
        recurring.extend(events)
    if recurring:
        sub = icalendar.Calendar()
        for tz in cal.walk("VTIMEZONE"):
            sub.add_component(tz)
        for event in recurring:
            sub.add_component(event)
        single.extend(recurring_ical_events.of(sub).between(start, end))
    return single, skipped


def read_feed(ics_text: str, member_id: str, window: Window, time_zone: str = "UTC",
              limits: FeedLimits | None = None) -> FeedBlocks:
    """Blocking intervals of a calendar inside `window` (at most `limits.max_window_days` of it),
    merged, as `TimeOff(source="calendar")`, and whether a limit cut the reading short.

    Floating times and all-day dates are read in `time_zone` (the member's zone).
    """
    limits = limits or FEED_LIMITS
    zone = ZoneInfo(time_zone)
    start, end = window.start, min(window.end, window.start + timedelta(days=limits.max_window_days))
    cal = icalendar.Calendar.from_ical(ics_text)
    events, skipped = _candidates(cal, start, end, limits)
    stopped = False
    spans: list[tuple[datetime, datetime, str]] = []
    for ev in events:
        if not is_blocking(ev):
            continue
        begin = ev.get("DTSTART").dt
        end_prop = ev.get("DTEND")
        if end_prop is not None:
            finish = end_prop.dt
        elif ev.get("DURATION") is not None:
            finish = begin + ev.get("DURATION").dt
        else:
            finish = begin  # RFC 5545: a date lasts one day, a datetime is an instant
        s, e = _as_utc(begin, zone), _as_utc(finish, zone)
        if not isinstance(begin, datetime) and e <= s:
            e = _as_utc(date.fromordinal(begin.toordinal() + 1), zone)
        s, e = max(s, start), min(e, end)
        if s < e:
            spans.append((s, e, _text(ev, "SUMMARY")))
    spans.sort()
    if len(spans) > limits.max_occurrences:
        spans, stopped = spans[: limits.max_occurrences], True
    merged: list[list] = []
    for s, e, title in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, title])
    time_off = [TimeOff(member_id, s, e, reason=title, source="calendar") for s, e, title in merged]
    return FeedBlocks(time_off, len(spans), stopped, skipped)


def blocking_time_off(ics_text: str, member_id: str, window: Window, time_zone: str = "UTC") -> list[TimeOff]:
    """`read_feed` within the default limits, intervals only."""
    return read_feed(ics_text, member_id, window, time_zone).time_off
