"""The reminder DM before a shift (issue 14). The builder is pure."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ids import RemindId
from bot.services.reminder_times import DAY_BEFORE, Slot
from bot.services.reminders import Reminder
from bot.views.common import actions, button, context, message, person, section
from bot.views.remind import HOW_TO_CHANGE

log = logging.getLogger(__name__)


def local(dt: datetime, zone: str) -> str:
    """"Mon 30 Mar 09:00" on `zone`'s wall clock."""
    d = dt.astimezone(ZoneInfo(zone))
    return f"{d:%a} {d.day} {d:%b} {d:%H:%M}"


def _who(slot: Slot | None) -> str:
    if slot is None or slot.member_id is None:
        return "nobody"
    return person(slot.name, slot.slack_user_id)


def reminder_dm(r: Reminder) -> dict:
    """The DM: schedule, start and end on the holder's clock, who hands over and who takes over,
    and buttons starting a swap or a cover of this shift."""
    s = r.slot
    role = f" ({s.role})" if r.roles > 1 else ""
    soon = "tomorrow" if r.offset == DAY_BEFORE else "in 1 hour"
    span = f"*{local(s.start, r.zone)}* → *{local(s.end, r.zone)}* ({r.zone})"
    text = f"Reminder: your on-call shift in {r.schedule_name}{role} starts {soon}, {local(s.start, r.zone)} ({r.zone})"
    blocks = [
        section(f":alarm_clock: Your on-call shift in *{r.schedule_name}*{role} starts {soon}.\n{span}"),
        section(f"{_who(r.hands_over)} hands over to you · you hand over to {_who(r.takes_over)}"),
        actions(button("Swap…", RemindId.SWAP, str(s.id)), button("Find cover…", RemindId.COVER, str(s.id)),
                block_id=RemindId.ACTIONS),
        context(f"Reminders: {HOW_TO_CHANGE[0].lower()}{HOW_TO_CHANGE[1:]}"),
    ]
    return message(text, blocks)


def send_reminder(client: WebClient, r: Reminder) -> str | None:
    """DM the holder; Slack's error (None when sent)."""
    try:
        client.chat_postMessage(channel=r.slot.slack_user_id or "", **reminder_dm(r))
        return None
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "error")
        log.warning("reminder for shift %s to %s failed: %s", r.slot.id, r.slot.slack_user_id, error)
        return error
