"""`/oncall away`: time off for yourself (or, for managers and admins, someone else), list, cancel.

    /oncall away 12-24 12-31 family          /oncall away @bob tomorrow
    /oncall away fri 14:00 mon 09:00         /oncall away list [@bob]
    /oncall away cancel 7
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slack_bolt import App

from bot.commands import registry
from bot.commands.dates import RangeSpec, resolve_range, take_range
from bot.commands.parser import Arg, DateArg, UsageError, UserRef, Word, describe, id_arg
from bot.commands.request import Request
from bot.notify import sync as resync
from bot.notify.home import publish_homes
from bot.notify.timeoff import send_replacement_notices
from bot.services.timeoff import (
    add_time_off,
    cancel_time_off,
    get_time_off,
    list_time_off,
    may_act_for,
    refusal_for_others,
    user_zone,
)
from bot.views.away import away_confirmation, away_list_message, cancel_message
from bot.views.common import error_message, message

USAGE = "away [@person] <start> [end] [reason] · away list · away cancel <id>"


@dataclass(frozen=True)
class AwayCmd:
    when: RangeSpec
    user: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class AwayListCmd:
    user: str | None = None


@dataclass(frozen=True)
class AwayCancelCmd:
    id: int


def _reason(rest: tuple[Arg, ...]) -> str:
    if any(isinstance(a, UserRef) for a in rest):
        raise UsageError("Put the person first, before the dates: `/oncall away @bob 12-24 12-31`.", USAGE)
    return " ".join(a.text if isinstance(a, Word) else a.value.isoformat() if isinstance(a, DateArg)
                    else describe(a) for a in rest).strip()


def parse_away(args: tuple[Arg, ...]) -> AwayCmd | AwayListCmd | AwayCancelCmd:
    head = args[0].text.lower() if args and isinstance(args[0], Word) and not args[0].quoted else ""
    if head in ("list", "ls"):
        rest = args[1:]
        if not rest:
            return AwayListCmd()
        if len(rest) == 1 and isinstance(rest[0], UserRef):
            return AwayListCmd(rest[0].id)
        raise UsageError("`/oncall away list` takes nothing, or one @person.", USAGE)
    if head in ("cancel", "delete", "remove", "rm"):
        number = id_arg(args[1]) if len(args) == 2 else None
        if number is None:
            raise UsageError("Give the number `/oncall away list` shows, e.g. `/oncall away cancel 7`.", USAGE)
        return AwayCancelCmd(number)
    user = None
    if args and isinstance(args[0], UserRef):
        user, args = args[0].id, args[1:]
    when, rest = take_range(args, USAGE)
    return AwayCmd(when, user, _reason(rest)[:200])


def _allowed(req: Request, target: str, what: str) -> bool:
    if may_act_for(req.ctx, req.directory, req.team_id, req.user_id, target):
        return True
    req.reply(message(refusal_for_others(target, what)))
    return False


def run_add(req: Request, cmd: AwayCmd) -> None:
    target = cmd.user or req.user_id
    if not _allowed(req, target, "enter time off"):
        return
    zone = user_zone(req.directory, target)
    now = req.ctx.clock()
    try:
        start, end = resolve_range(cmd.when, now.astimezone(ZoneInfo(zone)).date(), zone)
    except UsageError as exc:
        req.reply(error_message(exc.message, USAGE))
        return
    result = add_time_off(req.ctx, req.team_id, req.user_id, target, start, end, cmd.reason, now)
    req.reply(away_confirmation(result, zone, actor=req.user_id))
    send_replacement_notices(req.client, result.outcome)
    publish_homes(req.ctx, req.client, req.team_id, [target])
    resync.after_change(req.ctx, req.client, result.outcome.shift_ids_by_schedule())


def run_list(req: Request, cmd: AwayListCmd) -> None:
    target = cmd.user or req.user_id
    if not _allowed(req, target, "see the time off"):
        return
    zone = user_zone(req.directory, target)
    entries = list_time_off(req.ctx.engine, req.team_id, target, req.ctx.clock())
    whose = "You have" if target == req.user_id else f"<@{target}> has"
    if entries:
        whose = "Your" if target == req.user_id else f"<@{target}>'s"
    req.reply(away_list_message(entries, zone, whose=whose))


def run_cancel(req: Request, cmd: AwayCancelCmd) -> None:
    entry = get_time_off(req.ctx.engine, req.team_id, cmd.id)
    if not _allowed(req, entry.slack_user_id, "cancel time off"):
        return
    entry = cancel_time_off(req.ctx.engine, req.team_id, req.user_id, cmd.id, req.ctx.clock())
    req.reply(cancel_message(entry, user_zone(req.directory, entry.slack_user_id)))
    publish_homes(req.ctx, req.client, req.team_id, [entry.slack_user_id])


def run(req: Request, cmd: AwayCmd | AwayListCmd | AwayCancelCmd) -> None:
    if isinstance(cmd, AwayListCmd):
        run_list(req, cmd)
    elif isinstance(cmd, AwayCancelCmd):
        run_cancel(req, cmd)
    else:
        run_add(req, cmd)


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "away", USAGE,
        "Time off (your time zone; ranges like `12-24 12-31`): clashing shifts go to someone else",
        parse_away, run, aliases=("timeoff", "ooo"), slow=True,
    ))
