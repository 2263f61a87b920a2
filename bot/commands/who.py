"""`/oncall who [schedule | #channel]`: on call now and next."""

from __future__ import annotations

from slack_bolt import App

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.services.who import who
from bot.views.who import who_message


def run(req: Request, cmd: parser.WhoCmd) -> None:
    answer = who(req.ctx, req.team_id, name=cmd.schedule, channel_id=cmd.channel_id or req.channel_id)
    req.reply(who_message(answer))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "who", "who [schedule]", "Who is on call now and next (this channel's schedules by default)",
        parser.parse_who, run, slow=True,
    ))
