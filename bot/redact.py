"""Keeps API keys and Slack tokens out of every log record, at every level and from every library.

Two layers: secrets the bot has handled are registered and replaced wherever they appear,
and the API-key field of the connect modal and a feed address typed after `calendar` are blanked
in raw payloads (bolt and the Socket Mode client log request
bodies at DEBUG before any listener runs). Installed as the log record factory, so it
applies to every handler, including ones added later (pytest's caplog too).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from functools import cache
from urllib.parse import quote

from bot.ids import BlockId

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False
MASK = "[redacted]"

_FIELD = re.escape(BlockId.CONNECT_API_KEY.value)
# JSON payload ({"connect_api_key": {"api_key": {"type": "plain_text_input", "value": "..."}}})
_JSON_VALUE = re.compile(r'("' + _FIELD + r'"\s*:\s*\{.*?"value"\s*:\s*")((?:[^"\\]|\\.)*)(")', re.S)
# the same inside a URL-encoded form body (HTTP mode: payload=%7B%22connect_api_key%22...)
_ENC_FIELD = re.escape(quote('"' + BlockId.CONNECT_API_KEY.value + '"', safe=""))
_FORM_VALUE = re.compile(
    "(" + _ENC_FIELD + r".*?%22value%22(?:%3A|:)(?:%20|\+)*%22)(.*?)(%22)",
    re.S | re.I,
)
# a calendar feed address typed after `calendar` (a secret: whoever has it reads the calendar), as
# typed, JSON-escaped (Socket Mode messages, logged raw at DEBUG) or form-encoded (HTTP bodies)
_FEED_URL = re.compile(r"(calendar(?:\s|\+|%20)+(?:<|%3C)?)https?(?::|%3A)[^\s\"&>|]+", re.I)
# every Authorization scheme a provider declares, plus Basic and Bearer whatever the providers use
_SCHEMES = ("Basic ", "Bearer ")
# Slack tokens by their shape (bot, user, refresh, rotating `xoxe.xoxb-…`, app-level), e.g. in the
# oauth.v2.access response that slack_sdk logs at DEBUG before the bot has seen it
_SLACK_TOKEN = re.compile(r"\b(?:xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]{6,}")


@cache
def _auth_header() -> re.Pattern[str]:
    """The credentials after any known Authorization scheme (built on first use from the registry)."""
    from bot.providers.registry import specs

    schemes = sorted({*_SCHEMES, *(spec.auth_scheme for spec in specs())}, key=len, reverse=True)
    return re.compile("((" + "|".join(re.escape(s) for s in schemes) + r")\s*)([^\s'\",}]+)", re.I)


def _basic_credentials(token: str) -> bool:
    """Whether `Basic <token>` holds credentials (base64 of `user:secret`), not the word "Basic"."""
    try:
        return b":" in base64.b64decode(token, validate=True)
    except (ValueError, binascii.Error):
        return False


def _mask_auth(match: re.Match[str]) -> str:
    if match.group(2).lower().startswith("basic") and not _basic_credentials(match.group(3)):
        return match.group(0)
    return match.group(1) + MASK


def register_secret(secret: str | None) -> None:
    """Remember a secret so it is masked in every later log line."""
    if secret and len(secret) >= 6:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    text = _JSON_VALUE.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _FORM_VALUE.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _auth_header().sub(_mask_auth, text)
    text = _FEED_URL.sub(lambda m: m.group(1) + MASK, text)
    text = _SLACK_TOKEN.sub(MASK, text)
    with _lock:
        secrets = tuple(_secrets)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
        encoded = quote(secret, safe="")
        if encoded != secret and encoded in text:
            text = text.replace(encoded, MASK)
    return text


def install() -> None:
    """Wrap the log record factory once per process."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error path
            return record
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            # exception text is rendered later by the handler; mask the exception's args now
            exc = record.exc_info[1]
            exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return record

    logging.setLogRecordFactory(factory)
