"""`/oncall cover @bob [for @alice] [schedule] [date]`: Bob takes my (Alice's) shift.

The same machinery as `/oncall swap` (preview, consent, re-export, undo), one-sided: load moves
from one person to the other. Buttons and modals are registered by `bot.commands.swap`.
"""

from __future__ import annotations

from slack_bolt import App

from bot.commands import registry
from bot.commands.swap import COVER_USAGE, parse_cover, run


def register(app: App) -> None:
    registry.add(registry.Subcommand("cover", COVER_USAGE, "Ask someone to take your shift (or, managers: anyone's)",
                                     parse_cover, run))
