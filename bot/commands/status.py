"""`/oncall status [schedule]` and the Status buttons of App Home."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.commands.values import button_id
from bot.ids import ButtonId
from bot.services.errors import UserError
from bot.services.status import schedule_status
from bot.views.common import notice_modal
from bot.views.status import status_message, status_modal


@dataclass(frozen=True)
class StatusCmd:
    schedule: str | None = None


def parse_status(args: tuple[parser.Arg, ...]) -> StatusCmd:
    return StatusCmd(parser.name_arg(args, "status [schedule]", what="schedule", required=False))


def run(req: Request, cmd: StatusCmd) -> None:
    req.reply(status_message(schedule_status(req.ctx, req.team_id, name=cmd.schedule)))


def on_status_button(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    schedule_id = button_id(action)
    try:
        items = schedule_status(req.ctx, req.team_id, schedule_id=schedule_id)
    except UserError as exc:
        req.open_view(notice_modal("Schedule status", exc.message))
        return
    req.open_view(status_modal(items[0]))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "status", "status [schedule]", "Members, rotation, next shifts and export state of a schedule",
        parse_status, run, slow=True,
    ))
    app.action(ButtonId.STATUS)(on_status_button)
