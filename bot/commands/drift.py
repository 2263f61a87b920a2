"""`/oncall drift <schedule> [alert|auto|off]` and the drift alert buttons."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import parser, registry
from bot.commands.request import Request, later
from bot.commands.values import button_id
from bot.ids import SyncButtonId
from bot.notify.slack import slack_notify
from bot.notify.sync import sync_and_notify
from bot.notify.usergroup import refresh_quietly
from bot.services.authz import NotAllowed
from bot.services.drift import REEXPORT_WAIT_SECONDS, keep_drift, reapply_drift, set_drift_mode
from bot.services.errors import UserError
from bot.views.common import message
from bot.views.sync import sync_message

USAGE = "drift <schedule> [alert|auto|off]"
MODES = ("alert", "auto", "off")
MODE_WORDS = {"alert": "drift is alerted in the channel with buttons",
              "auto": "the bot re-applies its assignments by itself", "off": "drift is not checked"}


@dataclass(frozen=True)
class DriftCmd:
    schedule: str
    mode: str | None = None


def parse_drift(args: tuple[parser.Arg, ...]) -> DriftCmd:
    mode = None
    last = args[-1] if args else None
    if isinstance(last, parser.Word) and not last.quoted and last.text.lower() in MODES:
        mode, args = last.text.lower(), args[:-1]
    return DriftCmd(parser.name_arg(args, USAGE, what="schedule", required=True) or "", mode)


def run(req: Request, cmd: DriftCmd) -> None:
    name, mode = set_drift_mode(req.ctx, req.team_id, cmd.schedule, cmd.mode, req.person)
    verb = "is now" if cmd.mode else "is"
    req.reply(message(f"Drift mode of *{name}* {verb} `{mode}`: {MODE_WORDS.get(mode, mode)}."))


def _decide(body: dict, client: WebClient, context, action: dict, reapply: bool) -> None:
    req = Request.from_body(body, context, client)
    alert_id = button_id(action)
    try:
        decide = reapply_drift if reapply else keep_drift
        done = decide(req.ctx, slack_notify(client), req.team_id, alert_id, req.person)
        refresh_quietly(req.ctx, client, done.schedule_id)  # who is on call now may have changed
        report = (sync_and_notify(req.ctx, done.schedule_id, client=client, only_shift_ids=done.reexport,
                                  wait=REEXPORT_WAIT_SECONDS) if reapply or done.reexport else None)
        if report is not None and reapply:
            req.reply(sync_message([report]))
        else:
            changes = done.changes
            extra = f" {len(changes)} shift(s) now assigned to whoever the provider pages." if changes else ""
            req.reply(message(":ballot_box_with_check: Kept the provider's version; this drift will not be "
                              f"alerted again.{extra}"))
    except NotAllowed as exc:
        req.reply(message(exc.message))
    except UserError as exc:
        req.reply(message(f":warning: {exc.message}"))


def on_reapply(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    later(Request.from_body(body, context, client), lambda: _decide(body, client, context, action, reapply=True),
          what="re-apply the bot's assignments")


def on_keep(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    later(Request.from_body(body, context, client), lambda: _decide(body, client, context, action, reapply=False),
          what="keep the provider's version")


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "drift", USAGE, "Show or set what happens when a provider schedule drifts (alert, auto, off)",
        parse_drift, run, slow=True,
    ))
    app.action(SyncButtonId.DRIFT_REAPPLY)(on_reapply)
    app.action(SyncButtonId.DRIFT_KEEP)(on_keep)
