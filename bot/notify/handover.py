"""The handover message in a schedule's channel (issue 14). The builder is pure."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.handover import Handover, RoleLine
from bot.views.common import context, joined, message, person, section, when

log = logging.getLogger(__name__)


def _line(line: RoleLine, roles: int) -> str:
    label = f"*{line.role.capitalize()}*: " if roles > 1 else ""
    if line.now is None or line.now.member_id is None:
        text = f"{label}nobody is on call now"
    else:
        text = f"{label}{person(line.now.name, line.now.slack_user_id)} is on call now, until {when(line.now.end)}"
    if line.next is not None and line.next.member_id is not None:
        text += f" · next: {person(line.next.name, line.next.slack_user_id)}"
    if line.paged:
        text += (f"\n:warning: The provider pages {', '.join(line.paged)} right now, not the bot's assignee "
                 "(open drift: see the drift alert).")
    return text


def handover_message(h: Handover) -> dict:
    """Who is on call now, until when, who is next (per role), and who the provider pages instead."""
    lines = [_line(line, len(h.lines)) for line in h.lines]
    first = h.lines[0].now if h.lines else None
    fallback = (f"Handover in {h.schedule_name}: {person(first.name, first.slack_user_id)} is on call now"
                if first is not None and first.member_id is not None else f"Handover in {h.schedule_name}")
    blocks = [section(f":arrows_counterclockwise: *Handover — {h.schedule_name}*\n" + joined(lines)),
              context("Turn these messages off in `/oncall edit`.")]
    return message(fallback, blocks)


def post_handover(client: WebClient, h: Handover) -> tuple[str | None, str | None]:
    """Post it: (ts, None), or (None, Slack's error)."""
    try:
        resp = client.chat_postMessage(channel=h.channel_id, **handover_message(h))
        return resp.get("ts"), None
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "error")
        log.warning("handover message of schedule %s to %s failed: %s", h.schedule_id, h.channel_id, error)
        return None, error
