"""`/oncall undo [swap id]` and the Undo button: put an executed swap back and re-export."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import registry
from bot.commands.parser import Arg, UsageError, id_arg
from bot.commands.request import Request, later
from bot.commands.values import button_id
from bot.ids import SwapButtonId
from bot.notify import swaps as swap_messages
from bot.services.swaps import execute
from bot.views import swap as views
from bot.views.common import message

UNDO_USAGE = "undo [swap id]"


@dataclass(frozen=True)
class UndoCmd:
    request_id: int | None = None


def parse_undo(args: tuple[Arg, ...]) -> UndoCmd:
    if not args:
        return UndoCmd()
    request_id = id_arg(args[0]) if len(args) == 1 else None
    if request_id is None:
        raise UsageError("Undo takes the number of a swap, e.g. `/oncall undo 12` (or nothing: your latest swap).",
                         UNDO_USAGE)
    return UndoCmd(request_id)


def undo(req: Request, request_id: int | None, *, replace: bool = False) -> None:
    """Undo (raises UserError), then re-export and tell everyone; the person sees the result."""
    info = execute.undo(req.ctx.engine, req.team_id, req.user_id, request_id, admin=req.is_admin, now=req.ctx.clock())
    req.reply(message(f":hourglass: Undid swap #{info.id}; updating the provider schedules…"), replace_original=replace)
    lines = swap_messages.after_undo(req.ctx, req.client, info, req.user_id)
    req.reply(views.undone_message(info, lines), replace_original=replace)


def run(req: Request, cmd: UndoCmd) -> None:
    undo(req, cmd.request_id)


def on_undo(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    request_id = button_id(action)
    later(req, lambda: undo(req, request_id, replace=bool(req.response_url)), what="undo a swap")


def register(app: App) -> None:
    registry.add(registry.Subcommand("undo", UNDO_USAGE, "Undo a swap or cover until its first shift starts",
                                     parse_undo, run, slow=True))
    app.action(SwapButtonId.UNDO)(on_undo)
