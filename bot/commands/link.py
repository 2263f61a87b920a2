"""`/oncall link [connection]` and the Link buttons: the link modal and its submission."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import parser, registry
from bot.commands.forms import allowed_submission, guard_submission, state_value
from bot.commands.request import Request, decode_meta, encode_meta, later
from bot.commands.values import StaleInput, id_value, pair_value
from bot.ids import ButtonId, CallbackId, FormBlock
from bot.notify.home import refresh_homes
from bot.services import schedules as schedules_service
from bot.services import workspace
from bot.services.authz import Action
from bot.services.errors import Field, FieldError, UserError
from bot.services.link import LinkRequest, Target, check_link, link_schedule
from bot.services.schedules import ConnectionRef
from bot.views.common import notice_modal
from bot.views.link import FIELD_BLOCKS, link_modal, linked_message

log = logging.getLogger(__name__)
@dataclass(frozen=True)
class LinkCmd:
    connection: str | None = None


def parse_link(args: tuple[parser.Arg, ...]) -> LinkCmd:
    return LinkCmd(parser.name_arg(args, "link [connection]", what="connection", required=False))


ACTION = Action.LINK
NOT_IN_CHANNEL = "I am not a member of that channel: invite me there first (/invite @oncall) or pick another one."


def _connections(req: Request) -> list[ConnectionRef]:
    return schedules_service.connection_refs(req.ctx.engine, req.team_id)


def fill(req: Request, view_id: str, conns: list[ConnectionRef], connection_id: int, selected: str | None,
         meta: str) -> None:
    """Replace the loading modal with the account's schedules (provider calls happen here, after ack)."""
    groups = schedules_service.all_provider_schedules(req.ctx, req.team_id)
    chosen = next((g for g in groups if g.connection.id == connection_id), None)
    try:
        req.client.views_update(view_id=view_id, view=link_modal(
            conns, chosen, all_groups=groups, selected_schedule=selected, channel_id=req.channel_id,
            private_metadata=meta,
        ))
    except SlackApiError as exc:  # the person closed the modal while we were loading
        log.info("link modal %s not updated: %s", view_id, exc.response.get("error"))


def open_link(req: Request, connection_id: int | None = None, schedule_id: str | None = None) -> None:
    conns = _connections(req)
    if not conns:
        raise UserError("No provider account is connected yet: an admin adds one with `/oncall connect`.")
    if connection_id is None and len(conns) == 1:
        connection_id = conns[0].id
    meta = req.meta(k=connection_id)
    view_id = req.open_view(link_modal(conns, None, loading=connection_id is not None, connection_id=connection_id,
                                       private_metadata=meta))
    if connection_id is not None and view_id:
        later(req, lambda: fill(req, view_id, conns, connection_id, schedule_id, meta),
              what="list the account's schedules")


def run(req: Request, cmd: LinkCmd) -> None:
    connection_id = None
    if cmd.connection:
        connection_id = workspace.connection_named(req.ctx.engine, req.team_id, cmd.connection).id
    open_link(req, connection_id)


def on_link_button(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    connection_id, sched = pair_value(action.get("value"))
    if not req.require(ACTION):
        return
    try:
        open_link(req, connection_id, sched or None)
    except UserError as exc:
        req.error(exc.message)


def on_home_link(ack: Ack, body: dict, client: WebClient, context) -> None:
    ack()
    req = Request.from_body(body, context, client)
    if req.require(ACTION):
        try:
            open_link(req)
        except UserError as exc:
            req.open_view(notice_modal("Link a schedule", exc.message))


def on_pick_connection(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    if not req.require(ACTION):  # it lists the account's schedules: admins only, like the command
        return
    view = body.get("view") or {}
    connection_id = id_value((action.get("selected_option") or {}).get("value"), "account option")
    if not view.get("id"):
        raise StaleInput("account picker outside the link modal")
    conns = _connections(req)
    meta = encode_meta(**{**decode_meta(view.get("private_metadata")), "k": connection_id})
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=link_modal(
        conns, None, loading=True, connection_id=connection_id, private_metadata=meta))
    later(req, lambda: fill(req, view["id"], conns, connection_id, None, meta), what="list the account's schedules")


def target_of(value: str, name: str) -> Target:
    """A picked destination option (`"<connection id>:<provider schedule id>"`); StaleInput when garbled."""
    connection_id, schedule_id = pair_value(value)
    if not schedule_id:
        raise StaleInput("destination option")
    return Target(connection_id, schedule_id, name)


def read_request(view: dict) -> LinkRequest:
    conn = decode_meta(view.get("private_metadata")).get("k")  # the account whose schedules the form shows
    if not conn:
        raise FieldError(Field.SCHEDULE, "Pick an account first.")
    connection_id = id_value(conn, "account option")
    sched = state_value(view, FormBlock.LINK_SCHEDULE, FormBlock.INPUT)
    if not sched:
        raise FieldError(Field.SCHEDULE, "Pick the schedule to link.")
    try:
        horizon = int(state_value(view, FormBlock.LINK_HORIZON, FormBlock.INPUT) or 30)
    except ValueError:
        raise FieldError(Field.HORIZON, "Type a whole number of days, e.g. 30.") from None
    extras = tuple(target_of(v, name) for v, name in state_value(view, FormBlock.LINK_DESTINATIONS, FormBlock.INPUT) or [])
    return LinkRequest(connection_id, sched, horizon, state_value(view, FormBlock.LINK_CHANNEL, FormBlock.INPUT), extras)


@guard_submission
def on_submit(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    req = allowed_submission(ack, body, context, client, ACTION)
    if req is None:
        return
    try:
        link_req = read_request(view)
        if link_req.channel_id and not req.directory.bot_in_channel(link_req.channel_id):
            raise FieldError(Field.CHANNEL, NOT_IN_CHANNEL)
        check_link(req.ctx, req.team_id, link_req)
    except FieldError as exc:
        ack(response_action="errors", errors={FIELD_BLOCKS[exc.field]: exc.message})
        return
    except UserError as exc:
        ack(response_action="errors", errors={FormBlock.LINK_SCHEDULE: exc.message})
        return
    ack()
    later(req, lambda: finish_link(req, link_req), what="link a schedule", usage="link")


def finish_link(req: Request, link_req: LinkRequest) -> None:
    """On the work pool: import the schedule and its history, then answer."""
    result = link_schedule(req.ctx, req.directory, req.team_id, req.user_id, link_req)
    req.reply(linked_message(result))
    refresh_homes(req.ctx, req.client, req.team_id, [req.user_id])


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "link", "link [connection]", "Link a provider schedule so the bot manages its shifts (admins)",
        parse_link, run, authz=ACTION,
    ))
    app.action(ButtonId.LINK)(on_link_button)
    app.action(ButtonId.HOME_LINK)(on_home_link)
    app.action(ButtonId.LINK_PICK_CONNECTION)(on_pick_connection)
    app.view(CallbackId.LINK)(on_submit)
