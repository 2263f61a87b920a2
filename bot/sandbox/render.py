"""Block Kit as readable text for the terminal: messages, modals and Home tabs.

Mentions become `@name` / `#channel`, `<!date^…>` becomes a date in the reader's time zone, links
keep their label, buttons show as `[Label]`, inputs as `Label: value`. Pure functions.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_USER = re.compile(r"<@([UW][A-Z0-9]+)(\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(\|([^>]*))?>")
_DATE = re.compile(r"<!date\^(\d+)\^([^|>^]*)(\^[^|>]*)?(\|([^>]*))?>")
_LINK = re.compile(r"<(https?://[^|>]+)(\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(\|[^>]*)?>")
_FORMATS = {
    "{date_num}": "%Y-%m-%d", "{date_short}": "%b %-d, %Y", "{date_short_pretty}": "%a %-d %b",
    "{date}": "%B %-d, %Y", "{date_pretty}": "%a %-d %B", "{date_long}": "%A, %B %-d, %Y",
    "{date_long_pretty}": "%A %-d %B", "{time}": "%H:%M", "{time_secs}": "%H:%M:%S", "{day_divider_pretty}": "%a %-d %b",
}


_EMOJI = {
    ":warning:": "⚠", ":white_check_mark:": "✔", ":x:": "✘", ":lock:": "🔒", ":link:": "🔗", ":pager:": "📟",
    ":electric_plug:": "🔌", ":hourglass:": "⏳", ":hourglass_flowing_sand:": "⏳", ":calendar:": "📅",
    ":palm_tree:": "🌴", ":arrows_counterclockwise:": "🔄", ":large_green_circle:": "🟢", ":red_circle:": "🔴",
    ":white_circle:": "⚪", ":large_yellow_circle:": "🟡", ":grey_question:": "❔", ":+1:": "👍",
    ":envelope:": "✉", ":no_entry:": "⛔", ":information_source:": "ℹ",
}
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")


class Names:
    """How ids read: `user(id)`, `channel(id)`, and the reader's time zone."""

    def __init__(self, user: Callable[[str], str], channel: Callable[[str], str], tz: str = "UTC"):
        self.user, self.channel, self.tz = user, channel, tz


def mrkdwn(text: str, names: Names) -> str:
    def date(m: re.Match) -> str:
        try:
            when = datetime.fromtimestamp(int(m[1]), UTC).astimezone(ZoneInfo(names.tz))
        except (ValueError, KeyError):
            return m[5] or m[1]
        out = m[2]
        for token, fmt in _FORMATS.items():
            out = out.replace(token, when.strftime(fmt))
        return out

    text = _DATE.sub(date, text)
    text = _USER.sub(lambda m: "@" + names.user(m[1]), text)
    text = _CHANNEL.sub(lambda m: "#" + (m[3] or names.channel(m[1])), text)
    text = _LINK.sub(lambda m: m[3] or m[1], text)
    text = _SPECIAL.sub(lambda m: "@" + m[1], text)
    text = _SHORTCODE.sub(lambda m: _EMOJI.get(m[0], m[0]), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: dict | None, names: Names) -> str:
    if not obj:
        return ""
    return mrkdwn(obj.get("text", ""), names) if obj.get("type") == "mrkdwn" else obj.get("text", "")


def element(el: dict, names: Names) -> str:
    kind = el.get("type")
    if kind == "button":
        return f"[{_text(el.get('text'), names)}]"
    if kind in ("static_select", "radio_buttons", "external_select"):
        chosen = el.get("initial_option")
        shown = _text(chosen.get("text"), names) if chosen else _text(el.get("placeholder"), names) or "choose"
        choices = ", ".join(_text(o.get("text"), names) for o in _options(el))
        return f"‹{shown}›" + (f" (one of: {_cut(choices, 300)})" if choices else "")
    if kind in ("multi_static_select", "checkboxes"):
        chosen = ", ".join(_text(o.get("text"), names) for o in el.get("initial_options") or []) or "none"
        choices = ", ".join(_text(o.get("text"), names) for o in _options(el))
        return f"‹{chosen}›" + (f" (any of: {_cut(choices, 300)})" if choices else "")
    if kind == "overflow":
        return "[⋯ " + " | ".join(_text(o.get("text"), names) for o in _options(el)) + "]"
    if kind == "conversations_select" or kind == "channels_select":
        cid = el.get("initial_conversation") or el.get("initial_channel")
        return f"‹#{names.channel(cid)}›" if cid else "‹a channel›"
    if kind in ("users_select", "multi_users_select"):
        ids = el.get("initial_users") or ([el["initial_user"]] if el.get("initial_user") else [])
        return "‹" + (", ".join("@" + names.user(u) for u in ids) or "people") + "›"
    if kind == "datepicker":
        return f"‹{el.get('initial_date') or 'a date'}›"
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        value = el.get("initial_value")
        return f"‹{value}›" if value else "‹…›"
    return f"‹{kind}›"


def _options(el: dict) -> list[dict]:
    groups = el.get("option_groups") or []
    return list(el.get("options") or []) + [o for g in groups for o in g.get("options") or []]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def blocks(items: list[dict], names: Names) -> list[str]:
    lines: list[str] = []
    for block in items:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {_text(block.get('text'), names)} ==")
        elif kind == "section":
            body = _text(block.get("text"), names)
            fields = [_text(f, names) for f in block.get("fields") or []]
            accessory = block.get("accessory")
            extra = f"  {element(accessory, names)}" if accessory else ""
            lines.extend((body + extra).splitlines() or [extra.strip()])
            lines.extend("  " + f for f in fields)
        elif kind == "context":
            parts = [_text(e, names) for e in block.get("elements") or [] if e.get("type") != "image"]
            lines.append("  " + " · ".join(p for p in parts if p))
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "actions":
            lines.append("  " + " ".join(element(e, names) for e in block.get("elements") or []))
        elif kind == "input":
            label = _text(block.get("label"), names)
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"• {label}{optional}: {element(block.get('element') or {}, names)}")
            if block.get("hint"):
                lines.append(f"    {_text(block['hint'], names)}")
        elif kind == "rich_text":
            lines.append("(rich text)")
    return lines


def message(payload: dict, names: Names) -> str:
    if payload.get("blocks"):
        return "\n".join(blocks(payload["blocks"], names))
    return mrkdwn(payload.get("text", ""), names)


def view(payload: dict, names: Names) -> str:
    title = _text(payload.get("title"), names)
    lines = [f"┌ {title} ┐"] if title else []
    lines += blocks(payload.get("blocks") or [], names)
    buttons = [f"[{_text(payload[k], names)}]" for k in ("submit", "close") if payload.get(k)]
    if buttons:
        lines.append("  " + " ".join(buttons))
    return "\n".join(lines)


def indent(text: str, prefix: str = "  │ ", width: int = 110) -> str:
    out = []
    for line in text.splitlines() or [""]:
        out.extend(textwrap.wrap(line, width, subsequent_indent="  ", replace_whitespace=False) or [""])
    return "\n".join(prefix + line for line in out)
