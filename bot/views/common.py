"""Small Block Kit helpers shared by the surfaces (pure)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.ids import ViewId

Block = dict[str, Any]
MESSAGE_BLOCKS_MAX = 50
OPTIONS_MAX = 100  # options in a select menu, and option groups in one
BUTTON_VALUE_MAX = 2000  # Slack's limit; a longer value is cut, which breaks a value a listener parses


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def joined(items: Sequence[str], sep: str = "\n", limit: int = 2500) -> str:
    """As many whole `items` as fit in `limit` characters, then "…and N more." for the rest: a list cut
    at Slack's 3,000 characters by `clip` would end mid-item (mid-mention, mid-date)."""
    out: list[str] = []
    size = 0
    for i, item in enumerate(items):
        size += len(item) + (len(sep) if out else 0)
        if size > limit and out:
            return sep.join(out) + f"{sep}…and {len(items) - i} more."
        out.append(item)
    return sep.join(out)


def plain(text: str, limit: int = 75) -> dict:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def md(text: str) -> dict:
    return {"type": "mrkdwn", "text": clip(text, 3000)}


def section(text: str, accessory: dict | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": md(text)}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [md(t) for t in texts[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None,
           confirm: dict | None = None) -> dict:
    b: dict = {"type": "button", "text": plain(text), "action_id": action_id}
    if value:
        b["value"] = clip(value, BUTTON_VALUE_MAX)
    if style:
        b["style"] = style
    if confirm:
        b["confirm"] = confirm
    return b


def actions(*elements: dict, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def confirm_dialog(title: str, text: str, yes: str, no: str = "Cancel") -> dict:
    return {"title": plain(title, 100), "text": {"type": "mrkdwn", "text": clip(text, 300)},
            "confirm": plain(yes, 30), "deny": plain(no, 30), "style": "danger"}


def option(text: str, value: str) -> dict:
    return {"text": plain(text, 75), "value": clip(value, 150)}


def cap_options(options: list[dict], keep: Collection[str] = ()) -> list[dict]:
    """At most Slack's 100 options, in list order, always with those whose value is in `keep` (what is
    selected now): an option left out cannot be preselected, so saving the form would drop it."""
    if len(options) <= OPTIONS_MAX:
        return options
    kept = [o for o in options if o["value"] in keep][:OPTIONS_MAX]
    others = [o for o in options if o["value"] not in keep][:OPTIONS_MAX - len(kept)]
    shown = {id(o) for o in kept + others}
    return [o for o in options if id(o) in shown]


def when(dt: datetime | None, fmt: str = "{date_short_pretty} {time}", empty: str = "never") -> str:
    """A date Slack shows in each reader's own time zone (UTC fallback)."""
    if dt is None:
        return empty
    dt = dt.astimezone(UTC)
    fallback = dt.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(dt.timestamp())}^{fmt}|{fallback}>"


def person(name: str, slack_user_id: str | None) -> str:
    return f"<@{slack_user_id}>" if slack_user_id else f"{name} (not in Slack)"


def message(text: str, blocks: list[Block] | None = None) -> dict:
    """A message payload; `text` is the notification fallback."""
    blocks = blocks if blocks is not None else [section(text)]
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        blocks = blocks[: MESSAGE_BLOCKS_MAX - 1] + [context("…more not shown.")]
    return {"text": clip(text, 3000), "blocks": blocks}


def error_message(text: str, usage: str | None = None) -> dict:
    """An ephemeral complaint: what was wrong and what to type."""
    blocks = [section(f":warning: {text}")]
    if usage:
        blocks.append(context(f"Type `/oncall {usage}` — or `/oncall help` for every subcommand."))
    return message(text, blocks)


def modal(callback_id: str, title: str, blocks: list[Block], *, submit: str | None = None,
          close: str = "Close", private_metadata: str = "") -> dict:
    view: dict = {"type": "modal", "callback_id": callback_id, "title": plain(title, 24),
                  "close": plain(close, 24), "blocks": blocks[:100]}
    if submit:
        view["submit"] = plain(submit, 24)
    if private_metadata:
        view["private_metadata"] = clip(private_metadata, 3000)
    return view


def notice_modal(title: str, text: str) -> dict:
    """A read-only modal (refusals and errors where no ephemeral message is possible, e.g. App Home)."""
    return modal(ViewId.NOTICE, title, [section(text)])


def loading_modal(title: str, callback_id: str = ViewId.LOADING, text: str = ":hourglass: Loading…") -> dict:
    return modal(callback_id, title, [section(text)])
