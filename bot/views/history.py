"""`/oncall history`: one page of audit events, grouped by day in the reader's time zone, with
Newer/Older buttons. Lines are whole (never cut mid-mention) and sections stay under Slack's
3,000 characters; a page has at most `PAGE_SIZE` events, so far fewer than 50 blocks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.ids import HistoryButtonId
from bot.services.history import PAGE_SIZE, HistoryEntry, HistoryPage
from bot.views.common import Block, actions, button, clip, context, header, message, section

SECTION_MAX = 2900
LINE_MAX = 700


def page_value(page: HistoryPage, to: int) -> str:
    return f"{page.schedule_id or 0}.{page.days}.{to}"


def _line(e: HistoryEntry, zone: ZoneInfo) -> str:
    who = f"<@{e.actor}>" if e.actor else "the bot"
    where = f" · *{e.schedule}*" if e.schedule else ""
    return clip(f"`{e.at.astimezone(zone):%H:%M}` {who}{where}: {e.text}", LINE_MAX)


def _day(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"*{local:%A} {local.day} {local:%B %Y}*"


def _sections(lines: list[str]) -> list[Block]:
    blocks, chunk, size = [], [], 0
    for line in lines:
        if chunk and size + len(line) + 1 > SECTION_MAX:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def history_message(page: HistoryPage, zone_name: str) -> dict:
    zone = ZoneInfo(zone_name)
    what = f"*{page.schedule_name}*" if page.schedule_name else "this workspace"
    title = f"History of {page.schedule_name or 'this workspace'}"
    if not page.entries:
        return message(f"Nothing changed in {what} in the last {page.days} days.")
    lines: list[str] = []
    day = None
    for e in page.entries:
        if _day(e.at, zone) != day:
            day = _day(e.at, zone)
            lines.append(("\n" if lines else "") + day)
        lines.append(_line(e, zone))
    first = page.page * PAGE_SIZE + 1
    blocks: list[Block] = [header(title), *_sections(lines)]
    blocks.append(context(f"Last {page.days} days, newest first · {first}–{first + len(page.entries) - 1} of "
                          f"{page.total} · times in {zone_name} (your Slack time zone)"))
    buttons = []
    if page.has_newer:
        buttons.append(button("← Newer", HistoryButtonId.NEWER, page_value(page, page.page - 1)))
    if page.has_older:
        buttons.append(button("Older →", HistoryButtonId.OLDER, page_value(page, page.page + 1)))
    if buttons:
        blocks.append(actions(*buttons))
    return message(f"{title}: {page.total} changes in the last {page.days} days", blocks)
