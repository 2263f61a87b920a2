"""`/oncall fairness [schedule] [window]`: hours served and coming, weekends, holidays, share vs target.

Window: `30d`, `90d` (days back from now, up to the horizon; default 90d), `12w`, `month` or
`quarter` (the current calendar month/quarter in the schedule's zone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slack_bolt import App

from bot.commands import registry
from bot.commands.parser import Arg, UsageError, Word, name_arg
from bot.commands.request import Request
from bot.services.fairness import WindowSpec, fairness
from bot.views.fairness import fairness_message

USAGE = "fairness [schedule] [30d|90d|month|quarter]"
_SPAN = re.compile(r"^(\d{1,4})([dw])$")


@dataclass(frozen=True)
class FairnessCmd:
    schedule: str | None = None
    window: WindowSpec = WindowSpec()


def parse_window(text: str) -> WindowSpec | None:
    word = text.lower()
    if word in ("month", "quarter"):
        return WindowSpec(word)
    if m := _SPAN.match(word):
        days = int(m[1]) * (7 if m[2] == "w" else 1)
        if not 1 <= days <= 730:
            raise UsageError("Pick a window between 1 and 730 days, e.g. `30d` or `90d`.", USAGE)
        return WindowSpec("days", days)
    return None


def parse_fairness(args: tuple[Arg, ...]) -> FairnessCmd:
    window = WindowSpec()
    last = args[-1] if args else None
    if isinstance(last, Word) and not last.quoted and (spec := parse_window(last.text)) is not None:
        window, args = spec, args[:-1]
    return FairnessCmd(name_arg(args, USAGE, what="schedule", required=False), window)


def run(req: Request, cmd: FairnessCmd) -> None:
    reports = fairness(req.ctx, req.team_id, name=cmd.schedule, channel_id=req.channel_id, user_id=req.user_id,
                       spec=cmd.window)
    req.reply(fairness_message(reports))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "fairness", USAGE, "Hours served and coming, weekends, holidays and share vs target, per person",
        parse_fairness, run, slow=True,
    ))
