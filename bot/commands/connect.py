"""`/oncall connect`: the connect modal and its submission.

The submission is answered at once with a "Checking the key…" view; the provider calls run on
the work pool (`service.connect`, with its overall deadline), and `views.update` on the
submitted view's id then shows the result: the form again (every value but the key, the reason
under its field) or what was connected. If the person closed the modal meanwhile, the result
comes as an ephemeral message instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import parser, registry
from bot.commands.forms import allowed_submission, guard_submission, state_value
from bot.commands.request import BUSY, Request, late_text, new_error_id
from bot.ids import ActionId, BlockId, ButtonId, CallbackId
from bot.notify.home import refresh_homes
from bot.providers import any_of
from bot.services import background
from bot.services import connect as service
from bot.services.authz import Action
from bot.services.errors import Field, FieldError
from bot.views.common import error_message, message, notice_modal
from bot.views.connect import (
    block_of,
    checking_modal,
    connect_modal,
    connected_message,
    connected_modal,
    credential_block,
    credential_fields,
)

log = logging.getLogger(__name__)
@dataclass(frozen=True)
class ConnectCmd:
    pass


def parse_connect(args: tuple[parser.Arg, ...]) -> ConnectCmd:
    parser.no_args(args, "connect")
    return ConnectCmd()


ACTION = Action.CONNECT


def open_connect(req: Request) -> None:
    req.open_view(connect_modal(req.meta()))


def run(req: Request, cmd: ConnectCmd) -> None:
    open_connect(req)


@guard_submission
def on_submit(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    req = allowed_submission(ack, body, context, client, ACTION)
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
            {name: state_value(view, credential_block(name), name) for name in credential_fields()},
        )
    except FieldError as exc:
        ack(response_action="errors", errors={block_of(exc): exc.message})
        return
    ack(response_action="update", view=checking_modal(form.provider))
    view_id, meta = view["id"], view.get("private_metadata") or ""
    seconds = service.deadline_for(req.ctx) + 30  # the key check's own deadline, then saving and answering

    def busy(text: str) -> None:
        show(req, view_id, connect_modal(meta, form, FieldError(Field.API_KEY, text)),
             error_message(f"{form.name} was not connected: {text}", "connect"))

    if not background.submit(lambda: check_in_background(req, view_id, meta, form), name="check an API key",
                             seconds=seconds, on_late=lambda: busy(late_text(seconds))):
        busy(BUSY)


def check_in_background(req: Request, view_id: str, meta: str, form: service.ConnectForm) -> None:
    """Check the key and store the connection, then show the result in the modal."""
    try:
        connected = service.connect(req.ctx, req.team_id, req.user_id, form)
    except FieldError as exc:
        show(req, view_id, connect_modal(meta, form, exc),
             error_message(f"{form.name} was not connected: {exc.message}", "connect"))
        return
    except Exception as exc:
        error_id = new_error_id()
        log.error("unexpected error %s while connecting an account", error_id, exc_info=exc)
        text = f":boom: Something went wrong on our side (error id `{error_id}`). Try `/oncall connect` again."
        show(req, view_id, notice_modal("Something went wrong", text), message(text))
        return
    show(req, view_id, connected_modal(connected), connected_message(connected))
    try:
        refresh_homes(req.ctx, req.client, req.team_id, [req.user_id])
    except Exception:
        log.exception("refreshing App Home after connecting %s failed", form.name)


def show(req: Request, view_id: str, view: dict, fallback: dict) -> None:
    """Replace the submitted modal; when it was closed meanwhile, answer with `fallback` instead."""
    try:
        req.client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.info("connect modal %s not updated (%s): answering with a message", view_id, exc.response.get("error"))
        req.reply(fallback)


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "connect", "connect", f"Connect a {any_of()} account (admins)", parse_connect, run,
        authz=ACTION,
    ))
    app.view(CallbackId.CONNECT)(on_submit)

    @app.action(ButtonId.HOME_CONNECT)
    def home_connect(ack: Ack, body: dict, client: WebClient, context) -> None:
        ack()
        req = Request.from_body(body, context, client)
        if req.require(ACTION):
            open_connect(req)
