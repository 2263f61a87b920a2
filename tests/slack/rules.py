"""Slack's rules for the tests: the one copy lives in `bot/sandbox/slack_rules.py` (with its citations),
shared with the sandbox's Slack simulator; this module re-exports it for the tests' Slack stub."""

from bot.sandbox.slack_rules import (  # noqa: F401  (re-exported)
    VIEW_METHODS,
    ack_violations,
    decode,
    errors_violations,
    message_violations,
    view_violations,
    violations,
)
