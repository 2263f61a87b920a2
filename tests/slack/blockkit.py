"""Validate Block Kit payloads with slack-sdk's models (shared by the Slack tests)."""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View


def assert_blocks(blocks: list[dict]) -> None:
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, f"unknown block {raw}"
        block.validate_json()
        assert block.to_dict() == raw, f"slack-sdk reads the block differently:\n{raw}\n{block.to_dict()}"


def assert_view(view: dict) -> None:
    View(**view).validate_json()
    limit = 100
    assert len(view["blocks"]) <= limit
    assert_blocks(view["blocks"])


def assert_message(msg: dict) -> None:
    assert msg["text"], "a message needs its notification text"
    assert len(msg["blocks"]) <= 50
    assert_blocks(msg["blocks"])
