"""The on-call user group's state in words (status, the edit modal and its reply)."""

from __future__ import annotations

from bot.views.common import message

ICONS = {"ok": ":large_green_circle:", "pending": ":hourglass_flowing_sand:", "warning": ":large_yellow_circle:",
         "error": ":red_circle:"}


def group_status_text(status: str) -> str:
    """`ok: …` / `warning: …` / `error: …` / `pending: …` (bot.services.oncall_group) with its icon."""
    kind, sep, text = status.partition(": ")
    if not sep or kind not in ICONS:
        return status
    return f"{ICONS[kind]} User group: {text}"


def group_reply(status: str) -> dict:
    return message(group_status_text(status) if status else "The on-call user group is off.")
