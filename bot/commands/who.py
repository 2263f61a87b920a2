"""`/oncall who [schedule | #channel]`: on call now and next."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.services.who import who
from bot.views.who import who_message


@dataclass(frozen=True)
class WhoCmd:
    schedule: str | None = None
    channel_id: str | None = None


def parse_who(args: tuple[parser.Arg, ...]) -> WhoCmd:
    usage = "who [schedule | #channel]"
    if len(args) == 1 and isinstance(args[0], parser.ChannelRef):
        return WhoCmd(channel_id=args[0].id)
    return WhoCmd(schedule=parser.name_arg(args, usage, what="schedule", required=False))


def run(req: Request, cmd: WhoCmd) -> None:
    answer = who(req.ctx, req.team_id, name=cmd.schedule, channel_id=cmd.channel_id or req.channel_id)
    req.reply(who_message(answer))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "who", "who [schedule]", "Who is on call now and next (this channel's schedules by default)",
        parse_who, run, slow=True,
    ))
