"""`/oncall remind [1d] [1h] [off]` (and the App Home select): my shift reminders; and the
*Swap…* / *Find cover…* buttons of a reminder DM, which start the swap/cover flow of
`bot.commands.swap` for the reminded shift (a person picker; for a swap then the swap flow's shift
picker, to choose which of their upcoming shifts; then the usual preview)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import registry
from bot.commands.forms import state_value
from bot.commands.parser import Arg, UsageError, Word, describe
from bot.commands.request import Request, later
from bot.commands.swap import picker, show
from bot.commands.values import StaleInput, button_id, meta_id, metadata
from bot.ids import RemindId
from bot.notify.home import publish_home
from bot.services import reminders, swaps, workspace
from bot.services.errors import UserError
from bot.services.reminder_times import OFFSETS
from bot.services.swaps import request
from bot.services.swaps.select import COVER, SWAP
from bot.views.common import error_message
from bot.views.remind import pick_modal, settings_message

USAGE = "remind [1d] [1h] [off]"


@dataclass(frozen=True)
class RemindCmd:
    offsets: tuple[str, ...] | None = None  # None: show what is set


def parse_remind(args: tuple[Arg, ...]) -> RemindCmd:
    words = [a.text.lower() if isinstance(a, Word) else describe(a) for a in args]
    if not words:
        return RemindCmd()
    if words == ["off"]:
        return RemindCmd(())
    unknown = [w for w in words if w not in OFFSETS]
    if unknown:
        raise UsageError(f"`{unknown[0]}` is not a reminder time: use `1d` (the evening before, 18:00), `1h` "
                         "(one hour before), both, or `off`.", USAGE)
    return RemindCmd(tuple(o for o in OFFSETS if o in words))


def run(req: Request, cmd: RemindCmd) -> None:
    if cmd.offsets is None:
        req.reply(settings_message(reminders.get_offsets(req.ctx.engine, req.team_id, req.user_id)))
        return
    chosen = reminders.set_offsets(req.ctx.engine, req.team_id, req.user_id, cmd.offsets)
    req.reply(settings_message(chosen, changed=True))


def on_home_select(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    value = (action.get("selected_option") or {}).get("value") or ""
    chosen = [] if value == "off" else value.split(",")
    if not set(chosen) <= set(OFFSETS):
        raise StaleInput("reminder choice")
    reminders.set_offsets(req.ctx.engine, req.team_id, req.user_id, chosen)
    later(req, lambda: publish_home(req.ctx, client, req.team_id, req.user_id), what="refresh App Home")


def _open_picker(kind: str):
    def on_button(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
        ack()
        req = Request.from_body(body, context, client)
        shift_id = button_id(action)
        try:
            name = workspace.shift_schedule_name(req.ctx.engine, req.team_id, shift_id)
        except UserError as exc:
            req.reply(error_message(exc.message))
            return
        req.open_view(pick_modal(kind, name, req.meta(s=shift_id, k=kind)))

    return on_button


def on_pick(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    req = Request.from_body(body, context, client)
    shift_id = meta_id(view, "s")
    kind = metadata(view).get("k")
    if kind not in (SWAP, COVER):
        raise StaleInput("reminder kind")
    other = state_value(view, RemindId.PERSON, RemindId.INPUT)
    try:
        if not other or other == req.user_id:
            raise UserError("Pick someone else." if other else "Pick a person.")
        start = reminders.from_reminder(req.ctx.engine, req.team_id, req.user_id, shift_id, kind, other,
                                        req.ctx.clock())
        if isinstance(start, swaps.Choice):  # which of their shifts: the swap flow's own picker
            ack(response_action="update", view=picker(req, start))
            return
        result = request.prepare(req.ctx.engine, start, admin=req.is_admin, now=req.ctx.clock())
    except UserError as exc:
        ack(response_action="errors", errors={RemindId.PERSON: exc.message[:1500]})
        return
    if isinstance(result, swaps.Refused) and not result.forceable:
        ack(response_action="errors", errors={RemindId.PERSON: " ".join(result.reasons)[:1500]})
        return
    ack()
    show(req, result)


def register(app: App) -> None:
    registry.add(registry.Subcommand("remind", USAGE, "Your shift reminders by DM: 1d (evening before), 1h, or off",
                                     parse_remind, run))
    app.action(RemindId.SWAP)(_open_picker(SWAP))
    app.action(RemindId.COVER)(_open_picker(COVER))
    app.action(RemindId.HOME)(on_home_select)
    app.view(RemindId.PICK)(on_pick)
