"""`/oncall help`: lists what is registered."""

from __future__ import annotations

from slack_bolt import App

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.views.help import help_message


def run(req: Request, cmd: parser.HelpCmd) -> None:
    entries = [(s.usage, s.summary) for s in registry.all_subcommands()]
    if cmd.topic and (sub := registry.get(cmd.topic)):
        entries = [(sub.usage, sub.summary)]
    req.reply(help_message(entries))


def register(app: App) -> None:
    registry.add(registry.Subcommand("help", "help", "This list", parser.parse_help, run))
