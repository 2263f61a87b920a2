"""Drift alerts and provider outage notices in a schedule's channel (pure Block Kit builders)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.events import DriftAlertModel, DriftLine
from bot.ids import SyncBlockId, SyncButtonId
from bot.views.common import Block, actions, button, confirm_dialog, context, message, section

CAUSE_WORDS = {
    "hand_override": "a hand-made override",
    "bot_override": "another of the bot's overrides",
    "rotation": "the base rotation (the bot's override is gone)",
    "nobody": "nobody is paged",
}


def local_span(start: datetime, end: datetime, tz: str) -> str:
    """"Mon 3 Nov 09:00 → Mon 10 Nov 09:00" on the schedule's wall clock."""
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    a, b = start.astimezone(zone), end.astimezone(zone)
    fmt = "%a %-d %b %H:%M"
    if a.year != b.year:
        fmt = "%a %-d %b %Y %H:%M"
    return f"{a.strftime(fmt)} → {b.strftime(fmt)}"


def _line_text(line: DriftLine, tz: str) -> str:
    paged = ", ".join(line.paged) or "nobody"
    why = ", ".join(CAUSE_WORDS.get(c, c) for c in line.causes)
    return f"• {local_span(line.start, line.end, tz)}: bot assigned {line.assigned}, provider pages {paged} ({why})"


def drift_alert_message(m: DriftAlertModel) -> dict:
    n = len(m.lines)
    shifts = f"{n} shift{'s' if n != 1 else ''}"
    if m.state == "open":
        head = (f":warning: *{m.schedule_name}*: {m.destination} will page someone other than the bot assigned "
                f"for {shifts}.")
    elif m.state == "resolved":
        head = f":white_check_mark: *{m.schedule_name}*: the drift at {m.destination} is gone."
    elif m.state == "kept":
        head = (f":ballot_box_with_check: *{m.schedule_name}*: {m.destination} keeps its version for {shifts}"
                + (f" (kept by <@{m.decided_by}>)." if m.decided_by else "."))
    else:
        head = (f":arrows_counterclockwise: *{m.schedule_name}*: the bot's assignments were re-applied at "
                f"{m.destination}" + (f" by <@{m.decided_by}>." if m.decided_by else "."))
    body = "\n".join(_line_text(x, m.time_zone) for x in m.lines[:20])
    if n > 20:
        body += f"\n…and {n - 20} more."
    blocks: list[Block] = [section(head)]
    if body:
        blocks.append(section(body))
    blocks.append(context(f"Times in {m.time_zone}."))
    if m.state == "open":
        blocks.append(actions(
            button("Re-apply bot assignments", SyncButtonId.DRIFT_REAPPLY, str(m.alert_id), style="primary",
                   confirm=confirm_dialog("Re-apply?", "The bot re-exports its assignments for these shifts now; "
                                          "the hand edits at the provider are overridden.", "Re-apply")),
            button("Keep provider version", SyncButtonId.DRIFT_KEEP, str(m.alert_id)),
            block_id=SyncBlockId.DRIFT_ACTIONS,
        ))
        blocks.append(context("Only the schedule's managers and workspace admins can choose."))
    text = head.replace("*", "")
    return message(text, blocks)


def outage_message(schedule_name: str, destination: str, since: datetime, error: str) -> dict:
    text = (f":rotating_light: *{schedule_name}*: exporting to {destination} has been failing since "
            f"<!date^{int(since.timestamp())}^{{date_short_pretty}} {{time}}|{since:%Y-%m-%d %H:%M} UTC>. "
            f"The bot keeps retrying every run.\nLast error: {error}")
    return message(text.replace("*", ""), [section(text)])


def recovered_message(schedule_name: str, destination: str) -> dict:
    text = f":white_check_mark: *{schedule_name}*: exporting to {destination} works again."
    return message(text.replace("*", ""), [section(text)])

