"""Slack listeners: one module per `/oncall` subcommand, each with `register(app)`.

`MODULES` is the order subcommands appear in `help`; add yours to it.
"""

from __future__ import annotations

import importlib

from slack_bolt import App

from bot.commands.guard import GuardedApp

MODULES = [
    "help",
    "connect",
    "connections",
    "schedules",
    "link",
    "status",
    "who",
    "unlink",
    "edit",
    "away",  # rota: time off, calendar feeds, fairness, pattern
    "fairness",
    "calendar",
    "pattern",
    "home",
    "sync",
    "plan",
    "drift",
    "swap",  # swaps: swap, cover, undo
    "cover",
    "undo",
    "remind",  # issue 14: reminders (and the reminder DM's swap/cover buttons)
    "history",  # issue 14: the audit trail
    "oncall",  # the /oncall router itself
]


def register_all(app: App) -> None:
    """Every module registers on a `GuardedApp`: each listener acks and answers whatever it raises."""
    guarded = GuardedApp(app)
    for name in MODULES:
        importlib.import_module(f"bot.commands.{name}").register(guarded)
