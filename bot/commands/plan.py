"""`/oncall plan [schedule]`: a dry run of the export; writes nothing."""

from __future__ import annotations

from slack_bolt import App

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.commands.sync import SyncCmd, target_schedules
from bot.sync.engine import sync_schedule
from bot.views.sync import sync_message

USAGE = "plan [schedule]"


def parse_plan(args: tuple[parser.Arg, ...]) -> SyncCmd:
    return SyncCmd(parser.name_arg(args, USAGE, what="schedule", required=False))


def run(req: Request, cmd: SyncCmd) -> None:
    targets = target_schedules(req, cmd.schedule)
    req.reply(sync_message([sync_schedule(req.ctx, s.id, dry_run=True, wait=5.0) for s in targets]))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "plan", USAGE, "Dry run: what an export would create and delete (writes nothing)", parse_plan, run,
        slow=True,
    ))
