"""Validate Block Kit payloads as Slack would (shared by the Slack tests): slack-sdk's models read
them back unchanged, and Slack's documented limits (tests/slack/rules.py) hold."""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.slack import rules


def assert_blocks(blocks: list[dict]) -> None:
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, f"unknown block {raw}"
        block.validate_json()
        assert block.to_dict() == raw, f"slack-sdk reads the block differently:\n{raw}\n{block.to_dict()}"


def assert_view(view: dict) -> None:
    View(**view).validate_json()
    found = rules.view_violations(view)
    assert not found, "Slack would refuse this view:\n" + "\n".join(found)
    assert_blocks(view["blocks"])


def assert_message(msg: dict) -> None:
    assert msg["text"], "a message needs its notification text"
    found = rules.message_violations(msg)
    assert not found, "Slack would refuse this message:\n" + "\n".join(found)
    assert_blocks(msg["blocks"])
