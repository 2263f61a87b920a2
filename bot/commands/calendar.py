"""`/oncall calendar [@person] <ics-url | off>`: a calendar feed whose out-of-office, all-day and
"no oncall" events become time off (read now, then periodically)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.commands import registry
from bot.commands.parser import Arg, UsageError, UserRef, Word
from bot.commands.request import BUSY, Request, late_text
from bot.notify import sync as resync
from bot.notify.timeoff import send_replacement_notices
from bot.services import calendar_jobs
from bot.services.calendar import (
    FeedInfo,
    add_feed,
    clean_url,
    feed_overview,
    remove_feed,
    require_member,
    url_hint,
)
from bot.services.errors import UserError
from bot.services.timeoff import may_act_for, refusal_for_others, user_zone
from bot.views.away import outcome_blocks
from bot.views.common import context, message, section

USAGE = "calendar [@person] <ics-url | off>"
OFF_WORDS = ("off", "none", "remove", "stop", "disable")


@dataclass(frozen=True)
class CalendarCmd:
    user: str | None = None
    url: str | None = None  # None with off=False: show the current feed
    off: bool = False


def parse_calendar(args: tuple[Arg, ...]) -> CalendarCmd:
    user = None
    if args and isinstance(args[0], UserRef):
        user, args = args[0].id, args[1:]
    if not args:
        return CalendarCmd(user)
    if len(args) > 1 or not isinstance(args[0], Word):
        # never read the words back: one of them may be the secret feed address
        got = f"{len(args)} arguments" if len(args) > 1 else "a mention or channel"
        raise UsageError(f"Expected one calendar address or `off` (after an optional @person), got {got}.", USAGE)
    word = args[0].text
    if word.lower() in OFF_WORDS:
        return CalendarCmd(user, off=True)
    try:
        return CalendarCmd(user, clean_url(word))
    except UserError as exc:
        raise UsageError(exc.message, USAGE) from None


def _who(req: Request, target: str) -> str:
    return "your" if target == req.user_id else f"<@{target}>'s"


def _last_read(feed: FeedInfo) -> str:
    if feed.checked_at is None:
        return "not read yet"
    when = feed.checked_at.strftime("%Y-%m-%d %H:%M UTC")
    ok = feed.status is not None and feed.status.startswith("ok") and ";" not in feed.status
    return f"last read {when}: {feed.status}" if ok else f":warning: last read {when}: {feed.status}"


def run(req: Request, cmd: CalendarCmd) -> None:
    target = cmd.user or req.user_id
    if target != req.user_id and not may_act_for(req.ctx, req.directory, req.team_id, req.user_id, target):
        req.reply(message(refusal_for_others(target, "set a calendar feed")))
        return
    now = req.ctx.clock()
    if cmd.url is None and not cmd.off:
        feed, count = feed_overview(req.ctx, req.team_id, target, now)
        if not feed:
            req.reply(message(f"No calendar feed for {_who(req, target)} time off. Add one with `/oncall {USAGE}`."))
        else:
            req.reply(message(f":calendar: {_who(req, target).capitalize()} calendar feed: {url_hint(feed.url)} · "
                              f"{count} upcoming blocking event(s) · {_last_read(feed)}. "
                              "Turn it off with `/oncall calendar off`."))
        return
    if not calendar_jobs.claim(req.team_id, target):
        req.reply(message(f":hourglass_flowing_sand: I am still reading {_who(req, target)} calendar feed. "
                          "Try again once I have answered."))
        return
    try:
        if cmd.off:
            count = remove_feed(req.ctx, req.team_id, req.user_id, target)
        else:
            require_member(req.ctx.engine, req.team_id, req.user_id, target)
        if cmd.off:
            req.reply(message(f":calendar: Calendar feed removed for {_who(req, target)} {count} schedule "
                              "membership(s), and its time off with it. Shifts already moved stay moved."))
        else:
            req.reply(message(f":hourglass_flowing_sand: Checking {_who(req, target)} calendar feed "
                              f"({url_hint(cmd.url)})… I will answer here in a few seconds."))
    except BaseException:
        calendar_jobs.release(req.team_id, target)
        raise
    if cmd.off:
        calendar_jobs.release(req.team_id, target)
        return
    if not calendar_jobs.run_claimed(
        req.team_id, target, lambda: check_feed(req, target, cmd.url),
        lambda error_id: req.reply(message(
            f":boom: Something went wrong while reading the feed (error id `{error_id}`). Try again; if it "
            "keeps happening, give that id to whoever runs the bot.")),
        on_late=lambda: req.reply(message(late_text(calendar_jobs.CHECK_SECONDS)))):
        req.reply(message(BUSY))


def check_feed(req: Request, target: str, url: str) -> None:
    """In the background: read the new feed, save it, answer the person (via response_url)."""
    zone = user_zone(req.directory, target)
    try:
        count, result = add_feed(req.ctx, req.team_id, req.user_id, target, url, zone, req.ctx.clock())
    except UserError as exc:  # left every schedule meanwhile
        req.reply(message(exc.message))
        return
    if not count:
        req.reply(message(f":warning: I did not save {_who(req, target)} calendar feed: {result.error}."))
        return
    head = (f":calendar: Saved {_who(req, target)} calendar feed ({url_hint(url)}) on {count} schedule "
            "membership(s).")
    if result.error:
        text = f"{head} :warning: I could not read it yet: {result.error}. I will keep trying on every sync."
        req.reply(message(text))
        return
    text = f"{head} Read now: {result.blocks} blocking event(s) ahead become time off ({zone})."
    if result.limited:
        text += f" :warning: The feed is too big to read whole: {result.limited}."
    blocks = [section(text), *outcome_blocks(result.outcome),
              context("Blocking: all-day and out-of-office events, and titles with “no oncall”. Checked on every sync.")]
    req.reply(message(text, blocks))
    send_replacement_notices(req.client, result.outcome, reason="calendar time off")
    resync.after_change(req.ctx, req.client, result.outcome.shift_ids_by_schedule())


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "calendar", USAGE, "Use your calendar (ICS feed) for time off: out-of-office and all-day events block",
        parse_calendar, run,
    ))
