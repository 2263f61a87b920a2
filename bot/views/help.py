"""`/oncall help`: every registered subcommand with its usage."""

from __future__ import annotations

from collections.abc import Sequence

from bot.views.common import context, message, section


def help_message(entries: Sequence[tuple[str, str]], *, unknown: str | None = None) -> dict:
    """`entries`: (usage, one-line summary) in the order to show."""
    lines = [f"`/oncall {usage}` — {summary}" for usage, summary in entries]
    blocks = []
    if unknown:
        blocks.append(section(f":thinking_face: `{unknown}` is not an /oncall subcommand. Here is what is:"))
    blocks.append(section("*/oncall subcommands*\n" + "\n".join(lines)))
    blocks.append(context("Names with spaces work as they are or in quotes: `/oncall status Platform primary`."))
    return message("oncall subcommands: " + ", ".join(u.split()[0] for u, _ in entries), blocks)
