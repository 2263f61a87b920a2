"""`/oncall away`: confirmations, lists, and the messages a replacement sends (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.timeoff import AwayResult, Entry, MovedShift, OpenShift, ReplacementOutcome
from bot.views.common import Block, context, message, person, section


def local(dt: datetime, time_zone: str) -> datetime:
    return dt.astimezone(ZoneInfo(time_zone))


def span(start: datetime, end: datetime, time_zone: str, *, zone_label: bool = True) -> str:
    """`Thu 24 Dec 09:00 – Fri 25 Dec 09:00 (Europe/Berlin)` in that zone."""
    a, b = local(start, time_zone), local(end, time_zone)
    text = f"{a:%a %d %b %H:%M} – {b:%a %d %b %H:%M}" if a.year == b.year else f"{a:%a %d %b %Y %H:%M} – {b:%a %d %b %Y %H:%M}"
    return f"{text} ({time_zone})" if zone_label else text


def day_span(start: datetime, end: datetime, time_zone: str) -> str:
    """Whole local days read as days (`Thu 24 Dec – Thu 31 Dec`), anything else with times."""
    a, b = local(start, time_zone), local(end, time_zone)
    if (a.hour, a.minute, b.hour, b.minute) == (0, 0, 0, 0):
        last = b - timedelta(days=1)
        if last.date() == a.date():
            return f"{a:%a %d %b %Y}"
        return f"{a:%a %d %b} – {last:%a %d %b %Y}"
    return span(start, end, time_zone, zone_label=False)


def _role(role: str) -> str:
    return "" if role == "primary" else f" ({role})"


def moved_line(m: MovedShift) -> str:
    return (f"*{m.schedule_name}*{_role(m.role)} {span(m.start, m.end, m.time_zone)}: "
            f"{person(m.new.name, m.new.slack_user_id)} now (was {person(m.old.name, m.old.slack_user_id)})")


def open_line(o: OpenShift) -> str:
    return (f"*{o.schedule_name}*{_role(o.role)} {span(o.start, o.end, o.time_zone)}: still "
            f"{person(o.holder.name, o.holder.slack_user_id)}")


def outcome_blocks(outcome: ReplacementOutcome) -> list[Block]:
    blocks: list[Block] = []
    if outcome.moved:
        lines = "\n".join(f"• {moved_line(m)}" for m in outcome.moved[:20])
        more = f"\n…and {len(outcome.moved) - 20} more." if len(outcome.moved) > 20 else ""
        blocks.append(section(f":arrows_counterclockwise: {len(outcome.moved)} shift(s) moved; both people got a "
                              f"direct message:\n{lines}{more}"))
    if outcome.uncovered:
        lines = "\n".join(f"• {open_line(o)}" for o in outcome.uncovered[:20])
        blocks.append(section(f":warning: Nobody else is free for {len(outcome.uncovered)} shift(s), so they stay "
                              f"as they are. Find a cover with a swap, or ask a manager:\n{lines}"))
    if not outcome.moved and not outcome.uncovered:
        checked = ", ".join(outcome.schedules)
        blocks.append(context(f"No assigned shift clashes ({'checked ' + checked if checked else 'not in any schedule'})."))
    return blocks


def away_confirmation(result: AwayResult, time_zone: str, *, actor: str) -> dict:
    e = result.entry
    who = "You are" if e.slack_user_id == actor else f"<@{e.slack_user_id}> is"
    reason = f" — {e.reason}" if e.reason else ""
    head = f":palm_tree: {who} away {day_span(e.start, e.end, time_zone)} ({time_zone}){reason}. Time off #{e.id}."
    blocks = [section(head), *outcome_blocks(result.outcome),
              context(f"Undo with `/oncall away cancel {e.id}` (moved shifts stay moved). See `/oncall away list`.")]
    return message(head, blocks)


def away_list_message(entries: Sequence[Entry], time_zone: str, *, whose: str) -> dict:
    if not entries:
        return message(f"{whose} no time off coming up. Add some with `/oncall away <start> [end] [reason]`.")
    lines = []
    for e in entries[:40]:
        src = " · from calendar" if e.source == "calendar" else ""
        reason = f" — {e.reason}" if e.reason else ""
        lines.append(f"`#{e.id}` {day_span(e.start, e.end, time_zone)}{reason}{src}")
    text = f"{whose} time off ({time_zone}):\n" + "\n".join(lines)
    return message(text, [section(text), context("Cancel one with `/oncall away cancel <id>`.")])


def cancel_message(entry: Entry, time_zone: str) -> dict:
    text = (f":wastebasket: Cancelled time off #{entry.id} ({day_span(entry.start, entry.end, time_zone)}). "
            "Shifts that were already handed to someone else stay with them: to take one back, ask for a swap.")
    return message(text)


def dm_to_old_holder(moved: Sequence[MovedShift], reason: str = "time off") -> dict:
    lines = "\n".join(f"• *{m.schedule_name}*{_role(m.role)} {span(m.start, m.end, m.time_zone)} → "
                      f"{person(m.new.name, m.new.slack_user_id)}" for m in moved)
    text = f":palm_tree: Because of your {reason}, your on-call shift(s) moved:\n{lines}"
    return message(text)


def dm_to_new_holder(moved: Sequence[MovedShift], reason: str = "time off") -> dict:
    lines = "\n".join(f"• *{m.schedule_name}*{_role(m.role)} {span(m.start, m.end, m.time_zone)} "
                      f"(was {person(m.old.name, m.old.slack_user_id)})" for m in moved)
    text = (f":pager: You are now on call for these shift(s), replacing someone on {reason}:\n{lines}\n"
            "Can't make it? Ask for a swap.")
    return message(text)


def uncovered_channel_message(shifts: Sequence[OpenShift]) -> dict:
    lines = "\n".join(f"• {open_line(o)} (on time off)" for o in shifts)
    text = (f":warning: Nobody is free to cover {len(shifts)} shift(s) whose holder is on time off; they stay "
            f"assigned as they are until someone takes them:\n{lines}")
    return message(text)
