"""`/oncall unlink <schedule>`: a confirmation modal, then the bot forgets the schedule."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient

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
from bot.views.common import message
from bot.views.unlink import unlink_modal


@dataclass(frozen=True)
class UnlinkCmd:
    schedule: str


def parse_unlink(args: tuple[parser.Arg, ...]) -> UnlinkCmd:
    return UnlinkCmd(parser.name_arg(args, "unlink <schedule>", what="schedule", required=True) or "")


ACTION = Action.UNLINK


def run(req: Request, cmd: UnlinkCmd) -> None:
    sched = workspace.schedule_named(req.ctx.engine, req.team_id, cmd.schedule)
    req.open_view(unlink_modal(sched.name, req.meta(s=sched.id)))


@guard_submission
def on_submit(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    schedule_id = meta_id(view, "s")
    req = allowed_submission(ack, body, context, client, ACTION)
    if req is None:
        return
    ack()
    try:
        unlinked = unlink_schedule(req.ctx, req.team_id, schedule_id, req.user_id)
    except UserError as exc:
        req.error(exc.message)
        return
    req.reply(message(f":broken_chain: Unlinked *{unlinked.name}*. Overrides already in the provider were left as they are."))
    refresh_homes_later(req.ctx, client, req.team_id, [req.user_id, *unlinked.members])


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "unlink", "unlink <schedule>", "Stop managing a schedule (asks for confirmation; admins)",
        parse_unlink, run, authz=ACTION,
    ))
    app.view(CallbackId.UNLINK)(on_submit)
