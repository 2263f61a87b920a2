"""`/oncall swap` (and the buttons and modals every swap or cover goes through).

Handlers only ack, parse, call the swap services (`bot.services.swaps.request`, `swaps.answer`,
`swap_messages`) and render `bot.views.swap`:

1. the command → `prepare` → an ephemeral preview (Confirm / Cancel), a refusal with reasons, or
   a picker modal when it is ambiguous (several shared schedules, no or several shifts);
2. Confirm → `submit`: a manager's direct swap executes and re-exports at once; otherwise the
   other person gets a DM with Accept / Decline (and the schedule channel a message);
3. Accept → `accept` (one transaction) → re-export and notifications in the same interaction.

The grammar of `/oncall swap` and `/oncall cover` (`parse_swap`, `parse_cover`: pure):

    swap @alice @bob [schedule] [date | date..date | date to date] [force]
    swap @bob …                    me and Bob
    cover @bob [for @alice] …      Bob takes my (Alice's) shift

Dates are those of `/oncall away` (`bot.commands.dates`): they stay symbolic in `SwapCmd.when` and are
resolved once "today" in the requester's zone is known.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import registry
from bot.commands.dates import DATE_HELP, RangeSpec, in_reach, resolve_range, starts_date, take_range
from bot.commands.forms import guard_submission, state_value
from bot.commands.parser import Arg, DateArg, UsageError, UserRef, Word, describe, is_link
from bot.commands.request import Request, later
from bot.commands.values import StaleInput, button_id, id_value, metadata
from bot.ids import SwapBlockId, SwapButtonId, SwapCallbackId
from bot.notify import swaps as swap_messages
from bot.services import swaps
from bot.services.errors import UserError
from bot.services.swaps import answer, request
from bot.services.swaps.select import COVER, SWAP, Window
from bot.services.timeoff import user_zone
from bot.store import SwapStatus
from bot.views import swap as views
from bot.views.common import error_message, message

SWAP_USAGE = "swap @alice @bob [schedule] [date | from..to]"
COVER_USAGE = "cover @bob [for @alice] [schedule] [date | from..to]"
_FORCE = {"force", "--force", "forced"}


@dataclass(frozen=True)
class SwapCmd:
    """`a` gives (None: the requester), `b` receives. A swap also moves b's shifts to a."""

    kind: str  # "swap" | "cover"
    a: str | None
    b: str
    schedule: str | None = None
    when: RangeSpec | None = None  # symbolic (`tomorrow`, `fri`, `12-24..12-31`); None: the next shift
    force: bool = False


def parse_swap(args: tuple[Arg, ...]) -> SwapCmd:
    users, rest = _split_users(args, SWAP_USAGE, "swap")
    if not users:
        raise UsageError("Name who to swap with, e.g. `/oncall swap @bob` (you and Bob) or "
                         "`/oncall swap @alice @bob`.", SWAP_USAGE)
    if len(users) > 2:
        raise UsageError(f"A swap is between two people; you named {len(users)}.", SWAP_USAGE)
    a, b = (None, users[0]) if len(users) == 1 else (users[0], users[1])
    if a == b:
        raise UsageError(f"That names <@{b}> twice: a swap needs two different people.", SWAP_USAGE)
    return SwapCmd("swap", a, b, *_rest(rest, SWAP_USAGE))


def parse_cover(args: tuple[Arg, ...]) -> SwapCmd:
    words = list(args)
    covered = None
    for i, arg in enumerate(words[:-1]):
        if isinstance(arg, Word) and not arg.quoted and arg.text.lower() == "for" and isinstance(words[i + 1], UserRef):
            covered = words[i + 1].id
            del words[i : i + 2]
            break
    users, rest = _split_users(tuple(words), COVER_USAGE, "cover")
    if not users:
        raise UsageError("Name who takes your shift, e.g. `/oncall cover @bob`.", COVER_USAGE)
    if covered is None and len(users) == 2:
        users, covered = users[:1], users[1]
    if len(users) > 1:
        raise UsageError("Name one person to take the shift (and `for @someone` when it is not yours).", COVER_USAGE)
    if covered == users[0]:
        raise UsageError(f"That names <@{covered}> twice: someone else has to take the shift.", COVER_USAGE)
    return SwapCmd("cover", covered, users[0], *_rest(rest, COVER_USAGE))


def _split_users(args: tuple[Arg, ...], usage: str, verb: str) -> tuple[list[str], list[Arg]]:
    users, rest = [], []
    for arg in args:
        if isinstance(arg, UserRef):
            users.append(arg.id)
        elif isinstance(arg, Word | DateArg):
            rest.append(arg)
        else:
            raise UsageError(f"Cannot {verb} with {describe(arg)}: name people with @mentions.", usage)
    return users, rest


def _rest(rest: list[Arg], usage: str) -> tuple[str | None, RangeSpec | None, bool]:
    """Schedule name words, the date or range and `force` from what follows the mentions."""
    name: list[str] = []
    when: RangeSpec | None = None
    force = False
    i = 0
    while i < len(rest):
        arg = rest[i]
        word = arg.value.isoformat() if isinstance(arg, DateArg) else None if arg.quoted else arg.text
        if word is not None and starts_date(word):
            if when is not None:
                raise UsageError(f"Give one date, or a range like `12-24..12-31`. {DATE_HELP}", usage)
            when, tail = take_range(tuple(rest[i:]), usage)
            i = len(rest) - len(tail)
            continue
        if word is not None and word.lower() in _FORCE:
            force = True
        elif is_link(arg.text):
            raise UsageError("Name the schedule, not a link.", usage)
        else:
            name.append(arg.text)
        i += 1
    if when is not None and when.end is not None and when.start.kind == when.end.kind == "date" \
            and when.end.value < when.start.value:
        raise UsageError(f"The range ends ({when.end.value}) before it starts ({when.start.value}).", usage)
    return (" ".join(name).strip() or None), when, force


def window_of(when: RangeSpec | None, today: date, time_zone: str) -> Window:
    """The local dates a typed date or range means ("today" being `today`); None: the next shift.
    Raises UsageError when the range ends before it starts."""
    if when is None:
        return Window()
    start, end = resolve_range(when, today, time_zone)
    return Window(start.date(), (end - timedelta(microseconds=1)).date())  # `end` is exclusive


def query_of(req: Request, cmd: SwapCmd) -> swaps.SwapQuery:
    """The service's query; relative dates resolve against today in the requester's Slack zone."""
    window = Window()
    if cmd.when is not None:
        zone = user_zone(req.directory, req.user_id)
        window = window_of(cmd.when, req.ctx.clock().astimezone(ZoneInfo(zone)).date(), zone)
    return swaps.SwapQuery(team_id=req.team_id, kind=cmd.kind, requester=req.user_id, a_user=cmd.a or req.user_id,
                           b_user=cmd.b, schedule=cmd.schedule, window=window, force=cmd.force)


def run(req: Request, cmd: SwapCmd) -> None:
    try:
        q = query_of(req, cmd)
    except UsageError as exc:
        req.reply(error_message(exc.message, exc.usage or (COVER_USAGE if cmd.kind == COVER else SWAP_USAGE)))
        return
    show(req, request.prepare(req.ctx.engine, q, admin=req.is_admin, now=req.ctx.clock()))


def show(req: Request, result: swaps.Ready | swaps.Refused | swaps.Choice) -> None:
    if isinstance(result, swaps.Ready):
        req.reply(views.preview_message(result))
    elif isinstance(result, swaps.Refused):
        req.reply(views.refused_message(result))
    elif req.trigger_id:
        req.open_view(picker(req, result))
    else:
        req.reply(error_message(result.reason))


def picker(req: Request, choice: swaps.Choice) -> dict:
    """The modal for a `Choice` (also opened from a reminder's *Swap…*)."""
    meta = req.meta(q=_encode(choice.query))
    if choice.schedules:
        return views.schedule_picker(choice, meta)
    return views.shift_picker(choice, meta)


_VERIFIED = ("team_id", "requester")  # from the signed request, never from private_metadata


def _encode(q: swaps.SwapQuery) -> dict:
    d = {k: v for k, v in asdict(q).items() if k not in _VERIFIED}
    d["window"] = [q.window.first and q.window.first.isoformat(), q.window.last and q.window.last.isoformat()]
    return d


_TEXTS = ("kind", "a_user", "b_user")


def _decode(req: Request, view: dict) -> swaps.SwapQuery:
    """The picker's query: what to pick from the modal's metadata (`_encode`; StaleInput unless it is
    exactly that); the workspace and the person asking from the verified request (a forged metadata
    cannot act for someone else)."""
    today = req.ctx.clock().date()
    d = metadata(view).get("q")
    if not isinstance(d, dict) or set(d) - {f.name for f in fields(swaps.SwapQuery)}:
        raise StaleInput("swap query")
    d = {k: v for k, v in d.items() if k not in _VERIFIED}  # a forged team or requester is ignored
    texts = {key: d.get(key) for key in _TEXTS}
    window = d.get("window", [None, None])
    well_formed = (all(isinstance(t, str) and t for t in texts.values()) and texts["kind"] in (SWAP, COVER)
                   and isinstance(d.get("schedule"), str | None) and isinstance(d.get("force", False), bool)
                   and isinstance(window, list) and len(window) == 2)
    if not well_formed:
        raise StaleInput("swap query")
    try:
        first, last = (date.fromisoformat(x) if x is not None else None for x in window)
    except (TypeError, ValueError):
        raise StaleInput("swap window") from None
    if any(day is not None and not in_reach(day, today) for day in (first, last)):
        raise StaleInput("swap window")
    return swaps.SwapQuery(
        **texts, team_id=req.team_id, requester=req.user_id, schedule=d.get("schedule"),
        window=Window(first, last), force=d.get("force", False),
        schedule_id=None if d.get("schedule_id") is None else id_value(d["schedule_id"]),
        **{key: None if d.get(key) is None else _ids(d[key]) for key in ("picked_a", "picked_b")},
    )


def _ids(values: object) -> tuple[int, ...]:
    if not isinstance(values, list | tuple):
        raise StaleInput("shift ids")
    return tuple(id_value(v, "shift option") for v in values)


# ---------------------------------------------------------------- modals


@guard_submission
def on_pick_schedule(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    req = Request.from_body(body, context, client)
    q = replace(_decode(req, view),
                schedule_id=id_value(state_value(view, SwapBlockId.SCHEDULE, SwapBlockId.INPUT), "schedule option"))
    try:
        result = request.prepare(req.ctx.engine, q, admin=req.is_admin, now=req.ctx.clock())
    except UserError as exc:
        ack(response_action="errors", errors={SwapBlockId.SCHEDULE: exc.message})
        return
    if isinstance(result, swaps.Choice):
        ack(response_action="update", view=picker(req, result))
        return
    ack()
    show(req, result)


@guard_submission
def on_pick_shifts(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    req = Request.from_body(body, context, client)
    q = _decode(req, view)
    picked_a = _ids([v for v, _ in state_value(view, SwapBlockId.SHIFTS_A, SwapBlockId.INPUT) or []])
    picked_b = _ids([v for v, _ in state_value(view, SwapBlockId.SHIFTS_B, SwapBlockId.INPUT) or []])
    errors = {}
    if not picked_a:
        errors[SwapBlockId.SHIFTS_A] = "Pick at least one shift."
    if q.kind == SWAP and not picked_b:
        errors[SwapBlockId.SHIFTS_B] = "Pick at least one shift (for a one-way handover use /oncall cover)."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    q = replace(q, picked_a=picked_a, picked_b=picked_b)
    result = request.prepare(req.ctx.engine, q, admin=req.is_admin, now=req.ctx.clock())
    if isinstance(result, swaps.Refused) and not result.forceable:
        ack(response_action="errors", errors={SwapBlockId.SHIFTS_A: " ".join(result.reasons)[:1500]})
        return
    ack()
    show(req, result)


# ---------------------------------------------------------------- buttons


def on_confirm(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    later(req, lambda: _confirm(req, client, action), what="confirm a swap")


def _confirm(req: Request, client: WebClient, action: dict) -> None:
    try:
        info = request.submit(req.ctx.engine, req.team_id, action.get("value") or "", req.user_id,
                            admin=req.is_admin, now=req.ctx.clock())
    except UserError as exc:
        req.reply(error_message(exc.message))
        return
    if info.status == SwapStatus.EXECUTED.value:
        req.reply(message(f":hourglass: Swap #{info.id} done; updating the provider schedules…"), replace_original=True)
        lines = swap_messages.after_execute(req.ctx, client, info, req.user_id)
        req.reply(views.executed_message(info, lines), replace_original=True)
        return
    req.reply(views.request_sent_message(info), replace_original=True)
    swap_messages.ask_consent(req.ctx, client, info)


def on_cancel(ack: Ack, body: dict, client: WebClient, context) -> None:
    ack()
    Request.from_body(body, context, client).reply(message("Cancelled: nothing changed."), replace_original=True)


def on_accept(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    later(req, lambda: _accept(req, client, action), what="accept a swap")


def _accept(req: Request, client: WebClient, action: dict) -> None:
    try:
        result = answer.accept(req.ctx.engine, req.team_id, button_id(action), req.user_id, req.ctx.clock())
    except UserError as exc:
        req.reply(error_message(exc.message))
        return
    info = result.info
    if result.state == "waiting":
        who = " and ".join(f"<@{u}>" for u in info.waiting_for)
        req.reply(message(f":+1: Accepted. Swap #{info.id} happens once {who} accepts too."), replace_original=True)
        return
    if result.state in ("expired", "cancelled"):
        why = swap_messages.EXPIRED if result.state == "expired" else "can no longer happen: one of its shifts changed"
        swap_messages.after_lapse(req.ctx, client, info, why)
        return
    if result.state == "refused":
        req.reply(swap_messages.after_refused(req.ctx, client, info, result.reasons, req.user_id), replace_original=True)
        return
    swap_messages.update_dms(client, info, views.decided_message(
        info, f":hourglass: Accepted by <@{req.user_id}>: swap #{info.id} is done; updating the provider schedules…"))
    swap_messages.after_execute(req.ctx, client, info, req.user_id)


def on_decline(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    try:
        info = answer.decline(req.ctx.engine, req.team_id, button_id(action), req.user_id, req.ctx.clock())
    except UserError as exc:
        req.reply(error_message(exc.message))
        return
    swap_messages.after_decline(req.ctx, client, info)


def on_withdraw(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    try:
        info = answer.withdraw(req.ctx.engine, req.team_id, button_id(action), req.user_id, req.ctx.clock())
    except UserError as exc:
        req.reply(error_message(exc.message))
        return
    req.reply(message(f"Withdrew swap request #{info.id}: nothing changed."), replace_original=True)
    swap_messages.after_withdraw(req.ctx, client, info)


def register(app: App) -> None:
    registry.add(registry.Subcommand("swap", SWAP_USAGE, "Swap shifts with someone (they accept; managers: any two)",
                                     parse_swap, run))
    app.action(SwapButtonId.CONFIRM)(on_confirm)
    app.action(SwapButtonId.FORCE)(on_confirm)
    app.action(SwapButtonId.CANCEL)(on_cancel)
    app.action(SwapButtonId.ACCEPT)(on_accept)
    app.action(SwapButtonId.DECLINE)(on_decline)
    app.action(SwapButtonId.WITHDRAW)(on_withdraw)
    app.view(SwapCallbackId.PICK_SCHEDULE)(on_pick_schedule)
    app.view(SwapCallbackId.PICK_SHIFTS)(on_pick_shifts)

