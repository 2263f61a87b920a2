"""The table of `/oncall` subcommands. Adding one is a small change:

    # bot/commands/away.py
    from bot.commands import registry
    from bot.commands.registry import Request, Subcommand

    def run(req: Request, cmd: AwayCmd) -> None:
        req.reply(...)

    def register(app) -> None:
        registry.add(Subcommand("away", "away <from> <to>", "Mark yourself away", parse_away, run))
        # plus app.action(...)/app.view(...) listeners for its buttons and modals

and list the module in `bot.commands.MODULES`. `help` shows every registered subcommand in
registration order; `authz` names what the router asks `bot.services.authz` about before `run`
(workspace actions such as connecting an account); what concerns one schedule is asked by `run`
once it knows the schedule (`req.require(Action.X, schedule)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.commands.parser import Arg
from bot.commands.request import Request
from bot.services.authz import Action

__all__ = ["Request", "Subcommand", "add", "all_subcommands", "get"]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str  # "status [schedule]" (without "/oncall ")
    summary: str  # one line for help
    parse: Callable[[tuple[Arg, ...]], Any]  # pure: arguments -> command dataclass (raises UsageError)
    run: Callable[[Request, Any], None]  # called after ack()
    authz: Action | None = None  # asked by the router before `run` (workspace actions: admins only)
    aliases: tuple[str, ...] = ()
    # `run` does more than a quick reply (database reads, Slack or provider calls): the router hands
    # it to the work pool after parsing and the admin check. Subcommands that open a modal stay on
    # the listener (a trigger_id expires within 3 s) and hand their slow part off themselves.
    slow: bool = False


_REGISTRY: dict[str, Subcommand] = {}


def add(sub: Subcommand) -> Subcommand:
    """Register (or replace) a subcommand; idempotent so create_app can run many times."""
    _REGISTRY[sub.name] = sub
    for alias in sub.aliases:
        _REGISTRY[alias] = sub
    return sub


def get(name: str) -> Subcommand | None:
    return _REGISTRY.get(name)


def all_subcommands() -> list[Subcommand]:
    seen: dict[str, Subcommand] = {}
    for sub in _REGISTRY.values():
        seen.setdefault(sub.name, sub)
    return list(seen.values())
