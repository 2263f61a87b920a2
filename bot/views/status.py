"""`/oncall status`: schedule details, next shifts and every destination's export state."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import ButtonId, ViewId
from bot.services.status import DestinationLine, ScheduleStatus
from bot.views.common import (
    Block,
    button,
    clip,
    context,
    divider,
    header,
    joined,
    message,
    modal,
    person,
    section,
    when,
)
from bot.views.group import group_status_text

STATUS_ICONS = {"ok": ":large_green_circle:", "pending": ":white_circle:", "warning": ":large_yellow_circle:",
                "error": ":red_circle:", "read_only": ":lock:",
                "rate_limited": ":hourglass_flowing_sand:"}


def destination_text(d: DestinationLine) -> str:
    icon = STATUS_ICONS.get(d.status, ":white_circle:")
    text = (f"{icon} *{d.schedule_name}* ({d.provider} · {d.connection_name}) · {d.role} role — "
            f"{d.status.replace('_', '-')}\n"
            f"Exported until: *{when(d.exported_until, '{date_short_pretty} {time}', 'nothing exported yet')}* · "
            f"last sync: {when(d.last_sync_at)}")
    if d.last_error:
        text += f"\nLast error: {d.last_error}"
    return text


def status_blocks(s: ScheduleStatus, with_buttons: bool = False) -> list[Block]:
    members = joined([person(m.name or m.email, m.slack_user_id) for m in s.members], ", ", 1800) or "none"
    managers = joined([f"<@{u}>" for u in s.managers], ", ", 400) or "none (workspace admins decide)"
    channel = f"<#{s.channel_id}>" if s.channel_id else "none (direct messages)"
    blocks: list[Block] = [
        header(s.name),
        section(f"*Source:* {s.source} · *Time zone:* {s.time_zone}\n*Rotation:* {s.rotation}\n"
                f"*Horizon:* {s.horizon_days} days · *Channel:* {channel}\n*Members ({len(s.members)}):* {members}\n"
                f"*Managers:* {managers}"),
    ]
    if s.next_shifts:
        lines = [f"• {when(x.start)} → {when(x.end)}: {person(x.member_name, x.slack_user_id)}"
                 + (f" ({x.role})" if x.role != "primary" else "") for x in s.next_shifts]
        blocks.append(section("*Next shifts*\n" + joined(lines)))
    else:
        blocks.append(section("*Next shifts*\nNo shifts assigned yet."))
    if s.destinations:
        blocks.append(section("*Destinations*\n" + joined([destination_text(d) for d in s.destinations])))
    else:
        blocks.append(section("*Destinations*\nnone: shifts are not exported anywhere."))
    if s.usergroup:
        blocks.append(section(clip(group_status_text(s.usergroup), 3000)))
    if with_buttons:
        blocks.append({"type": "actions", "elements": [button("Edit", ButtonId.EDIT, str(s.id))]})
    return blocks


def status_message(items: Sequence[ScheduleStatus]) -> dict:
    if not items:
        return message("No schedule is linked yet. Link one with `/oncall link`.")
    blocks: list[Block] = []
    for i, s in enumerate(items):
        if i:
            blocks.append(divider())
        blocks.extend(status_blocks(s) if len(items) == 1 else _summary(s))
    if len(items) > 1:
        blocks.append(context("Details of one schedule: `/oncall status <schedule>`."))
    return message(f"Status of {len(items)} schedules", blocks)


def _summary(s: ScheduleStatus) -> list[Block]:
    dests = joined([destination_text(d) for d in s.destinations]) or "no destinations"
    return [section(f"*{s.name}* · {len(s.members)} members · horizon {s.horizon_days} days\n{dests}")]


def status_modal(s: ScheduleStatus) -> dict:
    return modal(ViewId.STATUS, "Schedule status", status_blocks(s, with_buttons=True))
