"""`/oncall unlink <schedule>`: a confirmation modal, then the bot forgets the schedule."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import select

from bot.commands import parser, registry
from bot.commands.forms import allowed_submission, guard_submission
from bot.commands.request import Request
from bot.commands.values import meta_id
from bot.ids import CallbackId
from bot.notify.home import refresh_homes_later
from bot.services import workspace
from bot.services.authz import Action
from bot.services.errors import UserError
from bot.services.unlink import unlink_schedule
from bot.store import Member, session_scope
from bot.views.common import message
from bot.views.unlink import unlink_modal

ACTION = Action.UNLINK


def run(req: Request, cmd: parser.UnlinkCmd) -> None:
    with session_scope(req.ctx.engine) as session:
        sched = workspace.find_schedule(session, req.team_id, cmd.schedule)
    req.open_view(unlink_modal(sched.name, req.meta(s=sched.id)))


@guard_submission
def on_submit(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    schedule_id = meta_id(view, "s")
    req = allowed_submission(ack, body, context, client, ACTION)
    if req is None:
        return
    ack()
    with session_scope(req.ctx.engine) as session:
        members = [m for m in session.exec(select(Member.slack_user_id).where(Member.schedule_id == schedule_id)) if m]
    try:
        name = unlink_schedule(req.ctx, req.team_id, schedule_id, req.user_id)
    except UserError as exc:
        req.error(exc.message)
        return
    req.reply(message(f":broken_chain: Unlinked *{name}*. Overrides already in the provider were left as they are."))
    refresh_homes_later(req.ctx, client, req.team_id, [req.user_id, *members])


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "unlink", "unlink <schedule>", "Stop managing a schedule (asks for confirmation; admins)",
        parser.parse_unlink, run, authz=ACTION,
    ))
    app.view(CallbackId.UNLINK)(on_submit)
