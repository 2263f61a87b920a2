"""`/oncall connections`: list accounts; the Remove button (admins; refused while in use)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.commands.values import button_id
from bot.ids import ButtonId
from bot.notify.home import refresh_homes_later
from bot.services import connections as service
from bot.services.authz import Action
from bot.services.errors import InUse, UserError
from bot.views.common import error_message
from bot.views.connections import connections_message


@dataclass(frozen=True)
class ConnectionsCmd:
    pass


def parse_connections(args: tuple[parser.Arg, ...]) -> ConnectionsCmd:
    parser.no_args(args, "connections")
    return ConnectionsCmd()


def run(req: Request, cmd: ConnectionsCmd) -> None:
    req.reply(connections_message(service.list_connections(req.ctx, req.team_id)))


def on_remove(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    connection_id = button_id(action)
    if not req.require(Action.REMOVE_CONNECTION):
        return
    try:
        name = service.remove_connection(req.ctx, req.team_id, connection_id, req.user_id)
    except InUse as exc:
        req.reply(error_message(f"Cannot remove it: {exc.message}"))
        return
    except UserError as exc:
        req.reply(error_message(exc.message))
        return
    items = service.list_connections(req.ctx, req.team_id)
    req.reply(connections_message(items, note=f":wastebasket: Removed *{name}* and its stored key."),
              replace_original=True)
    refresh_homes_later(req.ctx, client, req.team_id, [req.user_id])


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "connections", "connections", "Connected accounts, their key hints and who uses them",
        parse_connections, run, slow=True,
    ))
    app.action(ButtonId.REMOVE_CONNECTION)(on_remove)
