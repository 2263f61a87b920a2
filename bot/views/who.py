"""`/oncall who`: who is on call now and next."""

from __future__ import annotations

from bot.services.who import WhoAnswer
from bot.views.common import Block, context, message, person, section, when


def who_message(answer: WhoAnswer) -> dict:
    if not answer.schedules:
        return message("No schedule is linked yet. Link one with `/oncall link`.")
    blocks: list[Block] = []
    with_shifts = {e.schedule_name for e in answer.entries}
    for entry in answer.entries:
        role = f" ({entry.role})" if entry.role != "primary" else ""
        now = (f"{person(entry.now.member_name, entry.now.slack_user_id)} until {when(entry.now.end)}"
               if entry.now else "nobody")
        nxt = (f"{person(entry.next.member_name, entry.next.slack_user_id)} from {when(entry.next.start)}"
               if entry.next else "not assigned yet")
        blocks.append(section(f"*{entry.schedule_name}*{role}\nNow: {now}\nNext: {nxt}"))
    for name in answer.schedules:
        if name not in with_shifts:
            blocks.append(section(f"*{name}*\nNo shifts assigned yet."))
    if answer.scope == "workspace" and len(answer.schedules) > 1:
        blocks.append(context("No schedule notifies this channel, so all are shown. `/oncall who <schedule>` for one."))
    return message("Who is on call", blocks)
