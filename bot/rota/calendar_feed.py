"""Time off from a member's calendar feed (an ICS URL, as Google Calendar and Outlook publish).

`blocking_time_off` is pure (text in, intervals out); fetching lives in `bot.services.calendar_fetch`.
A calendar event blocks on-call when it is all-day, marked out-of-office (Outlook's
X-MICROSOFT-CDO-BUSYSTATUS:OOF, or a title saying "out of office"), or its title contains
"no oncall" / "no on-call" (case-insensitive). Cancelled events never block. Recurring events
are expanded with `recurring-ical-events`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from .model import TimeOff, Window

BLOCKING_WORDS = ("no oncall", "no on-call", "no on call", "out of office")


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


def blocking_time_off(ics_text: str, member_id: str, window: Window, time_zone: str = "UTC") -> list[TimeOff]:
    """Blocking intervals of a calendar inside `window`, merged, as `TimeOff(source="calendar")`.

    Floating times and all-day dates are read in `time_zone` (the member's zone).
    """
    zone = ZoneInfo(time_zone)
    cal = icalendar.Calendar.from_ical(ics_text)
    events = recurring_ical_events.of(cal).between(window.start, window.end)
    spans: list[tuple[datetime, datetime, str]] = []
    for ev in events:
        if not is_blocking(ev):
            continue
        start = ev.get("DTSTART").dt
        end_prop = ev.get("DTEND")
        if end_prop is not None:
            end = end_prop.dt
        elif ev.get("DURATION") is not None:
            end = start + ev.get("DURATION").dt
        else:
            end = start  # RFC 5545: a date lasts one day, a datetime is an instant
        s, e = _as_utc(start, zone), _as_utc(end, zone)
        if not isinstance(start, datetime) and e <= s:
            e = _as_utc(date.fromordinal(start.toordinal() + 1), zone)
        s, e = max(s, window.start), min(e, window.end)
        if s < e:
            spans.append((s, e, _text(ev, "SUMMARY")))
    spans.sort()
    merged: list[list] = []
    for s, e, title in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, title])
    return [TimeOff(member_id, s, e, reason=title, source="calendar") for s, e, title in merged]
