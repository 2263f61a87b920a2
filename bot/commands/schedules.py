"""`/oncall schedules [connection]`: provider schedules with Link buttons."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.services import schedules as service
from bot.views.schedules import schedules_message


@dataclass(frozen=True)
class SchedulesCmd:
    connection: str | None = None


def parse_schedules(args: tuple[parser.Arg, ...]) -> SchedulesCmd:
    return SchedulesCmd(parser.name_arg(args, "schedules [connection]", what="connection", required=False))


def run(req: Request, cmd: SchedulesCmd) -> None:
    req.reply(schedules_message(service.schedules_of(req.ctx, req.team_id, cmd.connection)))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "schedules", "schedules [connection]", "Provider schedules of an account, with Link buttons",
        parse_schedules, run, slow=True,
    ))
