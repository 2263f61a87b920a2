"""`/oncall help`: lists what is registered."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.views.help import help_message


@dataclass(frozen=True)
class HelpCmd:
    topic: str | None = None
    unknown: str | None = None  # the unknown subcommand that led here


def parse_help(args: tuple[parser.Arg, ...]) -> HelpCmd:
    topic = args[0].text.lower() if args and isinstance(args[0], parser.Word) else None
    return HelpCmd(topic=topic)


def run(req: Request, cmd: HelpCmd) -> None:
    entries = [(s.usage, s.summary) for s in registry.all_subcommands()]
    if cmd.topic and (sub := registry.get(cmd.topic)):
        entries = [(sub.usage, sub.summary)]
    req.reply(help_message(entries))


def register(app: App) -> None:
    registry.add(registry.Subcommand("help", "help", "This list", parse_help, run))
