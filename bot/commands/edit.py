"""`/oncall edit <schedule>` (and the Edit button of the status modal): horizon, channel, members, managers,
destinations (primary, and secondary when the schedule has that role), handover messages, the on-call user
group (set up after the ack, on the work pool: `bot.services.oncall_group`). For the schedule's managers and
workspace admins; destinations are changed by admins alone (`bot.services.authz`)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import parser, registry
from bot.commands.forms import allowed_submission, guard_submission, state_value
from bot.commands.link import target_of
from bot.commands.request import Request, later
from bot.commands.values import StaleInput, button_id, id_value, meta_id
from bot.ids import ButtonId, CallbackId, FormBlock
from bot.notify.home import refresh_homes_later
from bot.notify.usergroup import set_up
from bot.services import oncall_group, workspace
from bot.services import schedules as schedules_service
from bot.services.authz import Action
from bot.services.edit import EditRequest, EditResult, edit_data, edit_schedule
from bot.services.errors import Field, FieldError, UserError
from bot.services.link import Target, after_link
from bot.services.mapping import SlackPick, UserPick
from bot.store import Schedule
from bot.views.common import loading_modal, message, notice_modal
from bot.views.edit import block_of, edit_modal
from bot.views.group import group_reply


@dataclass(frozen=True)
class EditCmd:
    schedule: str


def parse_edit(args: tuple[parser.Arg, ...]) -> EditCmd:
    return EditCmd(parser.name_arg(args, "edit <schedule>", what="schedule", required=True) or "")


ACTION = Action.EDIT_SCHEDULE
NOT_IN_CHANNEL = "I am not a member of that channel: invite me there first (/invite @oncall) or pick another one."


def _schedule(req: Request, schedule_id: int) -> Schedule:
    return workspace.schedule_by_id(req.ctx.engine, req.team_id, schedule_id)


def open_edit(req: Request, schedule_id: int) -> None:
    """Open the modal (the caller asked authz). Destinations are offered to admins alone, so only
    they wait for the accounts' schedule lists."""
    admin = req.may(Action.CHANGE_DESTINATIONS)
    data = edit_data(req.ctx, req.team_id, schedule_id, may_change_destinations=admin)
    view_id = req.open_view(loading_modal(f"Edit {data.name}"[:24]))
    groups = schedules_service.all_provider_schedules(req.ctx, req.team_id) if admin else []
    if view_id:
        req.client.views_update(view_id=view_id, view=edit_modal(data, groups, req.meta(s=schedule_id)))


def run(req: Request, cmd: EditCmd) -> None:
    schedule = workspace.schedule_named(req.ctx.engine, req.team_id, cmd.schedule)
    if req.require(ACTION, schedule):
        open_edit(req, schedule.id)


def on_edit_button(ack: Ack, body: dict, client: WebClient, context, action: dict) -> None:
    ack()
    req = Request.from_body(body, context, client)
    try:
        schedule = _schedule(req, button_id(action))
        if req.require(ACTION, schedule):
            open_edit(req, schedule.id)
    except UserError as exc:
        req.open_view(notice_modal("Edit schedule", exc.message))


@guard_submission
def on_submit(ack: Ack, body: dict, client: WebClient, context, view: dict) -> None:
    schedule = _schedule(Request.from_body(body, context, client), meta_id(view, "s"))
    req = allowed_submission(ack, body, context, client, ACTION, schedule)
    if req is None:
        return
    try:
        try:
            horizon = int(state_value(view, FormBlock.EDIT_HORIZON, FormBlock.INPUT) or 0)
        except ValueError:
            raise FieldError(Field.HORIZON, "Type a whole number of days, e.g. 30.") from None
        channel = state_value(view, FormBlock.EDIT_CHANNEL, FormBlock.INPUT)
        if channel and not req.directory.bot_in_channel(channel):
            raise FieldError(Field.CHANNEL, NOT_IN_CHANNEL)
        group = _group_field(view)
        result = edit_schedule(req.ctx, req.directory, req.team_id, req.person, EditRequest(
            schedule.id, horizon, channel,
            tuple(state_value(view, FormBlock.EDIT_MEMBERS, FormBlock.INPUT) or []),
            _targets(view, FormBlock.EDIT_DESTINATIONS),
            secondary=_targets(view, FormBlock.EDIT_SECONDARY),
            managers=_managers(view),
            handover_messages=_checked(view, FormBlock.EDIT_HANDOVER),
            slack_picks=slack_picks(view), user_picks=user_picks(view),
        ))
    except FieldError as exc:
        ack(response_action="errors", errors={block_of(exc): exc.message})
        return
    except UserError as exc:
        ack(response_action="update", view=notice_modal("Edit schedule", exc.message))
        return
    ack()
    schedule_id = schedule.id
    group_changed = group is not KEEP and oncall_group.choose(req.ctx, req.team_id, schedule_id, group, req.user_id)
    assigned = after_link(req.ctx, schedule_id)
    extra = f" Assigned {assigned} shifts." if assigned else ""
    if group_changed and group:
        extra += f" Setting up @{group}…"
    req.reply(message(f":pencil2: Saved *{result.name}*.{extra}{managers_changed(result)}{to_map(result)} "
                      f"See `/oncall status {result.name}`."))
    refresh_homes_later(req.ctx, client, req.team_id, [req.user_id])
    if group_changed and group:
        later(req, lambda: req.reply(group_reply(set_up(req.ctx, client, schedule_id))),
              what="set up the on-call user group")


KEEP = object()  # the user group field was not in the submitted view: leave the group as it is


def _group_field(view: dict):
    """The handle typed (None: no group), or KEEP when the field was not shown."""
    if FormBlock.EDIT_USERGROUP not in ((view.get("state") or {}).get("values") or {}):
        return KEEP
    return oncall_group.parse_handle(state_value(view, FormBlock.EDIT_USERGROUP, FormBlock.INPUT))


def to_map(result: EditResult) -> str:
    """" Pick … by hand …" for people added whose provider user shows no email."""
    if not result.to_map:
        return ""
    who = ", ".join(f"<@{u}>" for u in result.to_map)
    return (f" The provider shows no email matching {who}: open `/oncall edit {result.name}` again and pick "
            "their user there (they get no overrides until then).")


def managers_changed(result: EditResult) -> str:
    """" Managers: added …; removed …." or nothing when they stayed."""
    parts = [f"{verb} {', '.join(f'<@{u}>' for u in people)}"
             for verb, people in (("added", result.managers_added), ("removed", result.managers_removed)) if people]
    return f" Managers: {'; '.join(parts)}." if parts else ""


def _managers(view: dict) -> tuple[str, ...] | None:
    """The managers picked; None when the field was not in the submitted view (keep them)."""
    values = (view.get("state") or {}).get("values") or {}
    if FormBlock.EDIT_MANAGERS not in values:
        return None
    return tuple(state_value(view, FormBlock.EDIT_MANAGERS, FormBlock.INPUT) or [])


def _targets(view: dict, block_id: str) -> tuple[Target, ...] | None:
    """The provider schedules picked in a destinations field; None when the field was not shown."""
    selected = state_value(view, block_id, FormBlock.INPUT)
    return None if selected is None else tuple(target_of(v, name) for v, name in selected)


def _picked(view: dict, prefix: str, parts: int) -> list[tuple[tuple[int, ...], object]]:
    """(ids in the block id, value) of each hand-mapping picker with something picked."""
    out = []
    for block_id in ((view.get("state") or {}).get("values") or {}):
        head, _, rest = block_id.partition(".")
        if head != prefix:
            continue
        ids = rest.split(".")
        if len(ids) != parts:
            raise StaleInput("block id")
        value = state_value(view, block_id, FormBlock.INPUT)
        if value:
            if not isinstance(value, str):
                raise StaleInput("picked value")
            out.append((tuple(id_value(i) for i in ids), value))
    return out


def slack_picks(view: dict) -> tuple[SlackPick, ...]:
    """A Slack account picked for a member not in Slack (`bot.services.mapping`)."""
    return tuple(SlackPick(ids[0], value) for ids, value in _picked(view, FormBlock.EDIT_MAP_SLACK, 1))


def user_picks(view: dict) -> tuple[UserPick, ...]:
    """A provider user picked for a member at a connection."""
    return tuple(UserPick(ids[0], ids[1], value) for ids, value in _picked(view, FormBlock.EDIT_MAP_USER, 2))


def _checked(view: dict, block_id: str) -> bool | None:
    """A one-checkbox field: ticked or not; None when the field was not shown (keep the setting)."""
    values = ((view.get("state") or {}).get("values") or {})
    if block_id not in values:
        return None
    return bool(state_value(view, block_id, FormBlock.INPUT))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "edit", "edit <schedule>",
        "Change horizon, channel, member order, managers and destinations of each role (managers, admins)",
        parse_edit, run,
    ))
    app.action(ButtonId.EDIT)(on_edit_button)
    app.view(CallbackId.EDIT)(on_submit)
