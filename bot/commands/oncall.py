"""The one `/oncall` listener: ack at once, parse with the pure parser, route by the registry;
subcommands that wait on providers (`Subcommand.slow`) run on the work pool."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import parser, registry
from bot.commands.request import Request, later
from bot.services.errors import UserError
from bot.views.common import error_message
from bot.views.help import help_message

log = logging.getLogger(__name__)


def help_entries() -> list[tuple[str, str]]:
    return [(s.usage, s.summary) for s in registry.all_subcommands()]


def route(req: Request, text: str) -> None:
    """Parse `text` and run the subcommand; every user mistake becomes an ephemeral message, which
    never repeats a link typed in `text` (it may be a secret feed URL)."""

    def complain(message: str, usage: str) -> None:
        req.reply(error_message(parser.hide_links(message, text), usage))

    try:
        inv = parser.split(text)
    except parser.UsageError as exc:
        complain(exc.message, exc.usage or "help")
        return
    sub = registry.get(inv.name)
    if sub is None:
        req.reply(help_message(help_entries(), unknown=parser.shown(inv.name) or None) if inv.name or inv.args
                  else help_message(help_entries()))
        return
    try:
        cmd = sub.parse(inv.args)
    except parser.UsageError as exc:
        complain(exc.message, exc.usage or sub.usage)
        return
    if sub.authz and not req.require(sub.authz):
        return
    if sub.slow:  # provider work: off this listener thread (it reports its own user errors)
        later(req, lambda: sub.run(req, cmd), what=f"/oncall {sub.name}", usage=sub.usage)
        return
    try:
        sub.run(req, cmd)
    except UserError as exc:
        complain(exc.message, sub.usage)


def register(app: App) -> None:
    @app.command("/oncall")
    def oncall(ack: Ack, body: dict, client: WebClient, context) -> None:
        ack()
        route(Request.from_body(body, context, client), body.get("text") or "")
