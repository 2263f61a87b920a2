"""What comes back from Slack that the bot itself put there: button values, option values and
`private_metadata`. Anything else (a forged or stale payload, an old message after an upgrade) is
refused with `StaleInput`, which the listener guard (`bot.commands.guard`) turns into an ephemeral
"out of date" answer: no error id, nothing written.

Row ids, typed (`/oncall undo 12`) or carried, go through `row_id`: ASCII digits only (`int()` and
`str.isdigit()` also take `²` and `٣`) and within the id columns' range.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.store.types import ROW_ID_MAX  # the id columns' range (tests/slack/test_values.py checks)

_DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII only, unlike \d
STALE_BUTTON = "This button is out of date: run the command again."
STALE_FORM = "This form is out of date: close it and run the command again."


class StaleInput(Exception):
    """A value the bot did not send. Deliberately not a UserError: handlers do not catch it, the guard does."""

    def __init__(self, what: str = "value"):
        super().__init__(f"unexpected {what}")


def row_id(text: Any) -> int | None:
    """`text` as a row id (1 … ROW_ID_MAX, ASCII digits, an optional leading `#`), else None."""
    if not isinstance(text, str):
        return None
    text = text.strip().removeprefix("#")
    if not _DIGITS.fullmatch(text):
        return None
    n = int(text)
    return n if 1 <= n <= ROW_ID_MAX else None


def id_value(raw: Any, what: str = "id") -> int:
    """A row id the bot put in a button or option value (a string) or in metadata (a JSON int)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    n = row_id(raw)
    if n is None:
        raise StaleInput(what)
    return n


def button_id(action: dict) -> int:
    """The row id in a button's value."""
    return id_value(action.get("value"), "button value")


def pair_value(raw: Any) -> tuple[int, str]:
    """`"<connection id>:<provider schedule id>"` (Link buttons, destination options)."""
    if not isinstance(raw, str) or ":" not in raw:
        raise StaleInput("pair value")
    conn, _, rest = raw.partition(":")
    return id_value(conn), rest


def metadata(view: dict | None) -> dict:
    """A view's `private_metadata` as the object the bot wrote (`encode_meta`)."""
    raw = (view or {}).get("private_metadata")
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise StaleInput("metadata")
    return value


def meta_id(view: dict | None, key: str) -> int:
    """The row id stored under `key` in a view's metadata."""
    return id_value(metadata(view).get(key), f"metadata {key}")
