"""`/oncall edit <schedule>` (and the Edit button of the status modal): horizon, channel, members, destinations
(primary, and secondary when the schedule has that role)."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import parser, registry
from bot.commands.common import Request, admin_submission, guard_submission, state_value
from bot.commands.link import target_of
from bot.commands.values import button_id, meta_id
from bot.ids import ButtonId, CallbackId, FormBlock
from bot.notify.home import refresh_homes_later
from bot.services import lookup
from bot.services import schedules as schedules_service
from bot.services.errors import Field, FieldError, UserError
from bot.services.link import Target, after_link
from bot.services.manage import EditRequest, edit_data, edit_schedule
from bot.store import session_scope
from bot.views.common import loading_modal, message, notice_modal
from bot.views.edit import FIELD_BLOCKS, edit_modal

ACTION = "edit schedules"
NOT_IN_CHANNEL = "I am not a member of that channel: invite me there first (/invite @oncall) or pick another one."


def open_edit(req: Request, schedule_id: int) -> None:
    data = edit_data(req.ctx, req.team_id, schedule_id)
    view_id = req.open_view(loading_modal(f"Edit {data.name}"[:24]))
    groups = schedules_service.all_provider_schedules(req.ctx, req.team_id)
    if view_id:
        req.client.views_update(view_id=view_id, view=edit_modal(data, groups, req.meta(s=schedule_id)))


def run(req: Request, cmd: parser.EditCmd) -> None:
    with session_scope(req.ctx.engine) as session:
        schedule_id = lookup.find_schedule(session, req.team_id, cmd.schedule).id
    open_edit(req, schedule_id)


def on_edit_button(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    schedule_id = button_id(action)
    if not req.require_admin(ACTION):
        return
    try:
        open_edit(req, schedule_id)
    except UserError as exc:
        req.open_view(notice_modal("Edit schedule", exc.message))


@guard_submission
def on_submit(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    schedule_id = meta_id(view, "s")
    req = admin_submission(ack, body, context, client, ACTION)
    if req is None:
        return
    try:
        try:
            horizon = int(state_value(view, FormBlock.EDIT_HORIZON, FormBlock.INPUT) or 0)
        except ValueError:
            raise FieldError(Field.HORIZON, "Type a whole number of days, e.g. 30.") from None
        channel = state_value(view, FormBlock.EDIT_CHANNEL, FormBlock.INPUT)
        if channel and not req.directory.bot_in_channel(channel):
            raise FieldError(Field.CHANNEL, NOT_IN_CHANNEL)
        targets = _targets(view, FormBlock.EDIT_DESTINATIONS)
        if targets is None:  # the block was not shown: keep the current destinations
            targets = edit_data(req.ctx, req.team_id, schedule_id).destinations
        name = edit_schedule(req.ctx, req.directory, req.team_id, req.user_id, EditRequest(
            schedule_id, horizon, channel,
            tuple(state_value(view, FormBlock.EDIT_MEMBERS, FormBlock.INPUT) or []), targets,
            secondary=_targets(view, FormBlock.EDIT_SECONDARY),
        ))
    except FieldError as exc:
        ack(response_action="errors", errors={FIELD_BLOCKS[exc.field]: exc.message})
        return
    except UserError as exc:
        ack(response_action="update", view=notice_modal("Edit schedule", exc.message))
        return
    ack()
    assigned = after_link(req.ctx, schedule_id)
    extra = f" Assigned {assigned} shifts." if assigned else ""
    req.reply(message(f":pencil2: Saved *{name}*.{extra} See `/oncall status {name}`."))
    refresh_homes_later(req.ctx, client, req.team_id, [req.user_id])


def _targets(view: dict, block_id: str) -> tuple[Target, ...] | None:
    """The provider schedules picked in a destinations field; None when the field was not shown."""
    selected = state_value(view, block_id, FormBlock.INPUT)
    return None if selected is None else tuple(target_of(v, name) for v, name in selected)


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "edit", "edit <schedule>", "Change horizon, channel, member order and destinations of each role (admins)",
        parser.parse_edit, run, admin_action=ACTION,
    ))
    app.action(ButtonId.EDIT)(on_edit_button)
    app.view(CallbackId.EDIT)(on_submit)
