"""`/oncall connect`: the connect modal and its submission (key checked within Slack's 3 s)."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import parser, registry
from bot.commands.common import Request, admin_submission, guard_submission, state_value
from bot.ids import ActionId, BlockId, ButtonId, CallbackId
from bot.services import connect as service
from bot.services.errors import FieldError
from bot.services.home import refresh_homes
from bot.views.connect import connect_modal, connected_message

ACTION = "connect provider accounts"


def open_connect(req: Request) -> None:
    req.open_view(connect_modal(req.meta()))


def run(req: Request, cmd: parser.ConnectCmd) -> None:
    open_connect(req)


@guard_submission
def on_submit(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    req = admin_submission(ack, body, context, client, ACTION)
    if req is None:
        return
    try:
        form = service.read_form(
            req.team_id,
            state_value(view, BlockId.CONNECT_PROVIDER, ActionId.CONNECT_PROVIDER),
            state_value(view, BlockId.CONNECT_REGION, ActionId.CONNECT_REGION),
            state_value(view, BlockId.CONNECT_NAME, ActionId.CONNECT_NAME),
            state_value(view, BlockId.CONNECT_API_KEY, ActionId.CONNECT_API_KEY),
            req.ctx,
        )
        schedules = service.try_key(req.ctx, form)
    except FieldError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.message})
        return
    ack()
    connected = service.save_connection(req.ctx, req.team_id, req.user_id, form, schedules)
    can_write = service.detect_write(req.ctx, connected.connection_id)
    req.reply(connected_message(connected, can_write))
    refresh_homes(req.ctx, client, req.team_id, [req.user_id])


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "connect", "connect", "Connect a PagerDuty or Opsgenie account (admins)", parser.parse_connect, run,
        admin_action=ACTION,
    ))
    app.view(CallbackId.CONNECT)(on_submit)

    @app.action(ButtonId.HOME_CONNECT)
    def home_connect(ack: Ack, body: dict, client: WebClient, context) -> None:
        ack()
        req = Request.from_body(body, context, client)
        if req.require_admin(ACTION):
            open_connect(req)
