"""`/oncall connections`: each account with its key hint, write access, users and a Remove button."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import ButtonId
from bot.providers import ProviderKind
from bot.services.connections import ConnectionInfo
from bot.views.common import Block, button, confirm_dialog, context, message, section


def access_label(can_write: bool | None) -> str:
    """A connection's write access in a few words (connections list, link and edit modals)."""
    return {True: "read-write", False: "read-only: never exported to"}.get(
        can_write, "write access unknown: checked before the first export")


def connections_message(items: Sequence[ConnectionInfo], note: str | None = None) -> dict:
    blocks: list[Block] = []
    if note:
        blocks.append(section(note))
    if not items:
        blocks.append(section("No provider account is connected. An admin can add one with `/oncall connect`."))
    for info in items:
        used = "; ".join(info.used_by) if info.used_by else "not used by any schedule"
        where = info.site or info.region.upper()
        text = (f"*{info.name}* · {ProviderKind(info.provider).label} {where} · key {info.key_hint} · "
                f"{access_label(info.can_write)}\nUsed by: {used}")
        remove = button(
            "Remove", ButtonId.REMOVE_CONNECTION, str(info.id), style="danger",
            confirm=confirm_dialog("Remove connection?", f"Remove *{info.name}* and its stored API key?", "Remove"),
        )
        blocks.append(section(text, remove))
    if items:
        blocks.append(context("A connection can be removed only when no schedule links from or exports to it."))
    return message(f"{len(items)} connections", blocks)
