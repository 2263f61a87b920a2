"""Form helpers for modal submissions: reading a submitted input (`state_value`) and refusing a
submission the person may not make (`allowed_submission`)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.commands.guard import guard
from bot.commands.request import Request
from bot.services import authz
from bot.services.authz import Action, Managed
from bot.views.common import notice_modal


def state_value(view: dict, block_id: str, action_id: str) -> Any:
    """The value of one input in a submitted view (text, number, selection or list of them)."""
    element = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons", "external_select"):
        return (element.get("selected_option") or {}).get("value")
    if kind == "multi_static_select":
        return [(o["value"], o["text"]["text"]) for o in element.get("selected_options") or []]
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "channels_select":
        return element.get("selected_channel")
    if kind == "multi_users_select":
        return list(element.get("selected_users") or [])
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "checkboxes":
        return [o["value"] for o in element.get("selected_options") or []]
    return element.get("value")


def guard_submission(fn):
    """Kept for the listeners that name it: every listener is guarded (see `bot.commands.guard`)."""
    return guard(fn)


def allowed_submission(ack: Any, body: dict, context: Any, client: WebClient, action: Action,
                       schedule: Managed | None = None) -> Request | None:
    """The submitter's Request when they may do `action`; otherwise replace the modal with the refusal."""
    req = Request.from_body(body, context, client)
    if req.may(action, schedule):
        return req
    ack(response_action="update", view=notice_modal("Not allowed", authz.refusal(req.person, action, schedule)))
    return None
