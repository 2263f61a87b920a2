"""`/oncall sync [schedule]`: export now and reply with a summary per destination.

Exporting writes to the provider and spends its account's request budget, so it is for the
schedule's managers and workspace/bot admins; the dry run (`/oncall plan`) is for everyone."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.commands import parser, registry
from bot.commands.common import Request
from bot.notify.sync import sync_and_notify
from bot.services import lookup
from bot.services.auth import manager_refusal
from bot.services.errors import UserError
from bot.services.timeoff import is_manager
from bot.store import Schedule, session_scope
from bot.views.common import message
from bot.views.sync import sync_message, syncing_message

USAGE = "sync [schedule]"
ACTION = "export a schedule now with `/oncall sync` (the background sync runs every few minutes anyway)"


@dataclass(frozen=True)
class SyncCmd:
    schedule: str | None = None


def parse_sync(args: tuple[parser.Arg, ...]) -> SyncCmd:
    return SyncCmd(parser.name_arg(args, USAGE, what="schedule", required=False))


def target_schedules(req: Request, name: str | None) -> list[tuple[int, str]]:
    """The named schedule; else this channel's schedules; else every schedule of the workspace."""
    with session_scope(req.ctx.engine) as session:
        if name:
            found = [lookup.find_schedule(session, req.team_id, name)]
        else:
            every = lookup.schedules(session, req.team_id)
            found = [s for s in every if req.channel_id and s.channel_id == req.channel_id] or every
        if not found:
            raise UserError("No schedule is linked yet. Link one with `/oncall link`.")
        return [(s.id, s.name) for s in found]


def managed(req: Request, targets: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The targets this person may export: all for admins, else those they manage."""
    with session_scope(req.ctx.engine) as session:
        rows = [(t, session.get(Schedule, t[0])) for t in targets]
        mine = [t for t, s in rows if s is not None and is_manager(s, req.user_id)]
    return targets if len(mine) == len(targets) or req.is_admin() else mine


def run(req: Request, cmd: SyncCmd) -> None:
    # the router runs this on the work pool after ack(): it never holds a listener thread
    targets = managed(req, target_schedules(req, cmd.schedule))
    if not targets:
        req.reply(message(manager_refusal(req.ctx, ACTION)))
        return
    req.reply(syncing_message([n for _, n in targets]))
    reports = [sync_and_notify(req.ctx, sid, client=req.client, wait=5.0) for sid, _ in targets]
    req.reply(sync_message(reports))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "sync", USAGE, "Export now: creates/deletes per destination and how far shifts are exported (managers)",
        parse_sync, run, slow=True,
    ))
