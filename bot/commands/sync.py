"""`/oncall sync [schedule]`: export now and reply with a summary per destination.

Exporting writes to the provider and spends its account's request budget, so it is for the
schedule's managers and workspace/bot admins; the dry run (`/oncall plan`) is for everyone."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.notify.sync import sync_and_notify
from bot.services import authz, workspace
from bot.services.authz import Action
from bot.services.manual_sync import record_manual_syncs
from bot.store import Schedule
from bot.views.common import message
from bot.views.sync import sync_message, syncing_message

USAGE = "sync [schedule]"
ACTION = Action.SYNC


@dataclass(frozen=True)
class SyncCmd:
    schedule: str | None = None


def parse_sync(args: tuple[parser.Arg, ...]) -> SyncCmd:
    return SyncCmd(parser.name_arg(args, USAGE, what="schedule", required=False))


def target_schedules(req: Request, name: str | None) -> list[Schedule]:
    """The named schedule; else this channel's schedules; else every schedule of the workspace."""
    return workspace.schedules_meant(req.ctx.engine, req.team_id, name, req.channel_id)


def allowed(req: Request, targets: list[Schedule]) -> tuple[list[Schedule], Schedule | None]:
    """The targets this person may export (all for admins, else those they manage), and the first
    refused schedule (for the refusal when none is left)."""
    ok = [s for s in targets if req.may(ACTION, s)]
    refused = next((s for s in targets if not req.may(ACTION, s)), None)
    return ok, refused


def run(req: Request, cmd: SyncCmd) -> None:
    # the router runs this on the work pool after ack(): it never holds a listener thread
    targets, refused = allowed(req, target_schedules(req, cmd.schedule))
    if not targets:
        req.reply(message(authz.refusal(req.person, ACTION, refused)))
        return
    req.reply(syncing_message([s.name for s in targets]))
    reports = [sync_and_notify(req.ctx, s.id, client=req.client, wait=5.0) for s in targets]
    record_manual_syncs(req.ctx.engine, req.team_id, req.user_id, reports, req.ctx.clock())
    req.reply(sync_message(reports))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "sync", USAGE, "Export now: creates/deletes per destination and how far shifts are exported (managers)",
        parse_sync, run, slow=True,
    ))
