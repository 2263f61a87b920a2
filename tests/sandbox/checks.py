"""What the end-to-end tests plug into the sandbox: every provider request checked against the
official API descriptions (`tests.conformance`), and Slack's rules for what the bot sends.

Slack's documented rules: `tests.slack.rules.violations(method, body)` (branch `strict`) when it is
present, else the few structural rules below, so the hook is exercised either way.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from bot.sandbox.provider import SimRequest
from tests.conformance import missing_reason, request_problems

PD = "https://api.pagerduty.com"
OG = "https://api.opsgenie.com"


def spec_check(public_base: str) -> Callable[[SimRequest], list[str]] | None:
    """None when the specs are absent (the conformance tests skip with the reason then)."""
    if missing_reason():
        return None

    def check(request: SimRequest) -> list[str]:
        query = urlencode([(k, v) for k, vs in request.query.items() for v in vs])
        url = public_base + request.path + (f"?{query}" if query else "")
        return request_problems(httpx.Request(request.method, url, headers=dict(request.headers),
                                              content=request.body))

    return check


def slack_rules() -> Callable[[str, dict], list[str]]:
    try:
        from tests.slack.rules import violations  # the strict helper's module, once merged
    except ImportError:
        return basic_rules
    return violations


def basic_rules(method: str, body: dict) -> list[str]:
    problems: list[str] = []
    if method.startswith("views."):
        view = body.get("view") or {}
        blocks = view.get("blocks") or []
        for key in ("title", "submit", "close"):
            if len((view.get(key) or {}).get("text", "")) > 24:
                problems.append(f"view {key} longer than 24 characters")
        if view.get("type") == "modal" and any(b.get("type") == "input" for b in blocks) and not view.get("submit"):
            problems.append("a modal with input blocks needs submit")
        if len(blocks) > 100:
            problems.append("more than 100 blocks in a view")
        if len(view.get("private_metadata") or "") > 3000:
            problems.append("private_metadata longer than 3000 characters")
    elif method.startswith("chat."):
        blocks = body.get("blocks") or []
        if len(blocks) > 50:
            problems.append("more than 50 blocks in a message")
    else:
        blocks = []
    ids = [b["block_id"] for b in blocks if b.get("block_id")]
    if len(ids) != len(set(ids)):
        problems.append("block_id repeated")
    return problems
