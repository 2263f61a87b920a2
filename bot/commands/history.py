"""`/oncall history [schedule] [7d|30d]` and its Newer/Older buttons: who changed what, newest first.

Without a schedule: every event of the workspace (connections, time off and calendar feeds belong to
no schedule and show only there). Times are in the reader's Slack time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import registry
from bot.commands.parser import Arg, UsageError, Word, name_arg
from bot.commands.request import Request, later
from bot.commands.values import StaleInput, id_value
from bot.ids import HistoryButtonId
from bot.services.history import DAYS_MAX, history
from bot.services.timeoff import user_zone
from bot.views.history import history_message

USAGE = "history [schedule] [7d|30d]"
_SPAN = re.compile(r"^(\d{1,3})d$")
_VALUE = re.compile(r"([0-9]{1,10})\.([0-9]{1,2})\.([0-9]{1,4})")


@dataclass(frozen=True)
class HistoryCmd:
    schedule: str | None = None
    days: int = 7


def parse_history(args: tuple[Arg, ...]) -> HistoryCmd:
    days = 7
    last = args[-1] if args else None
    if isinstance(last, Word) and not last.quoted and (m := _SPAN.match(last.text.lower())):
        days = int(m[1])
        if not 1 <= days <= DAYS_MAX:
            raise UsageError(f"Pick between 1 and {DAYS_MAX} days, e.g. `7d` or `30d`.", USAGE)
        args = args[:-1]
    return HistoryCmd(name_arg(args, USAGE, what="schedule", required=False), days)


def page_of(value: object) -> tuple[int | None, int, int]:
    """(schedule id or None, days, page) from a paging button's value; StaleInput for anything else."""
    m = _VALUE.fullmatch(value) if isinstance(value, str) else None
    if m is None or not 1 <= int(m[2]) <= DAYS_MAX:
        raise StaleInput("history page")
    schedule_id = None if m[1] == "0" else id_value(m[1], "history schedule")
    return schedule_id, int(m[2]), int(m[3])


def run(req: Request, cmd: HistoryCmd) -> None:
    page = history(req.ctx, req.team_id, name=cmd.schedule, days=cmd.days)
    req.reply(history_message(page, user_zone(req.directory, req.user_id)))


def on_page(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    schedule_id, days, number = page_of(action.get("value"))

    def work() -> None:
        page = history(req.ctx, req.team_id, schedule_id=schedule_id, days=days, page=number)
        req.reply(history_message(page, user_zone(req.directory, req.user_id)), replace_original=True)

    later(req, work, what="page through the history", usage=USAGE)


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "history", USAGE, "Who changed what: links, edits, swaps, time off, drift decisions, syncs (newest first)",
        parse_history, run, slow=True,
    ))
    app.action(HistoryButtonId.NEWER)(on_page)
    app.action(HistoryButtonId.OLDER)(on_page)
