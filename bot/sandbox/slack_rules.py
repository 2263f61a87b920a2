"""What Slack refuses, as one pure check: `violations(method, body) -> list[str]`.

`method` is a Web API method the bot calls (`views.open`, `views.push`, `views.update`,
`views.publish`, `chat.postMessage`, `chat.postEphemeral`, `chat.update`), `"response_url"` for a
POST to a response URL, or `"ack"` for what a listener acks back (a `response_action` with a view,
or an immediate message). `body` is the request as Slack receives it (a `view` or `blocks` given as
a JSON string is decoded). Each violation reads like Slack's own `response_metadata.messages`:
`[ERROR] <what> [json-pointer:/view/blocks/3/text/text]`. State kept across calls (trigger ids
used once, channel membership) lives in the simulators (`bot/sandbox/slack_api.py`, the tests'
`tests/slack/stub.py`), not here. The sandbox's Slack simulator and the tests' stub both refuse
what these rules refuse (`tests/slack/rules.py` re-exports this module).

The rules and where Slack documents them (checked on 2026-12-03):

- Views: a modal's `title` is plain_text ≤ 24 characters, `close` and `submit` ≤ 24, and
  "submit is required when an input block is within the blocks array"; ≤ 100 blocks in a modal
  or a Home tab; `private_metadata` ≤ 3,000; `callback_id` and `external_id` ≤ 255.
  https://docs.slack.dev/reference/views/modal-views ,
  https://docs.slack.dev/reference/views/home-tab-views
- ≤ 50 blocks in a message, ≤ 100 in modals and Home tabs.
  https://docs.slack.dev/reference/block-kit/blocks
- `block_id` ≤ 255 characters and unique within a message or view ("block_id should be unique
  for each message and each iteration of a message"); an `action_id` ≤ 255 and "unique among all
  other action_ids in the containing block".
  https://docs.slack.dev/reference/block-kit/blocks/section-block ,
  https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element
- Section: text ≤ 3,000 characters; `fields` ≤ 10 items of ≤ 2,000 characters each; text or
  fields required. https://docs.slack.dev/reference/block-kit/blocks/section-block
- Header: plain_text ≤ 150. https://docs.slack.dev/reference/block-kit/blocks/header-block
- Context: ≤ 10 elements. https://docs.slack.dev/reference/block-kit/blocks/context-block
- Actions: ≤ 25 elements. https://docs.slack.dev/reference/block-kit/blocks/actions-block
- Input: `label` and `hint` plain_text ≤ 2,000.
  https://docs.slack.dev/reference/block-kit/blocks/input-block
- Button: text plain_text ≤ 75, `value` ≤ 2,000, `url` ≤ 3,000.
  https://docs.slack.dev/reference/block-kit/block-elements/button-element
- Confirmation dialog: title ≤ 100, text ≤ 300, confirm and deny ≤ 30.
  https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object
- Option: text ≤ 75, `value` ≤ 150, description ≤ 75; option group label ≤ 75.
  https://docs.slack.dev/reference/block-kit/composition-objects/option-object ,
  https://docs.slack.dev/reference/block-kit/composition-objects/option-group-object
- Select menus: ≤ 100 `options` or `option_groups` (≤ 100 options each), `placeholder`
  plain_text ≤ 150, `initial_option(s)` "must exactly match one of the options"; radio buttons
  and checkboxes ≤ 10 options; overflow 2–5 options.
  https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element ,
  https://docs.slack.dev/reference/block-kit/block-elements/radio-button-group-element ,
  https://docs.slack.dev/reference/block-kit/block-elements/overflow-menu-element
- Text objects: `text` at least 1 and at most 3,000 characters.
  https://docs.slack.dev/reference/block-kit/composition-objects/text-object
- `views.open` / `views.push` need a `trigger_id` (or `interactivity_pointer`); `views.update`
  needs `view_id` or `external_id` ("Either view_id or external_id is required");
  `views.publish` needs `user_id` and a view of type home.
  ../shared/specs/slack/slack_web_openapi_v2_without_examples.json (`/views.*`),
  https://docs.slack.dev/reference/methods/views.update
- `response_action: errors` keys are block_ids of input blocks in the submitted view.
  https://docs.slack.dev/surfaces/modals
- Messages need `text` or `blocks` (`no_text`); text over 40,000 characters is `msg_too_long`.
  https://docs.slack.dev/reference/methods/chat.postMessage
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"})
MODAL_BLOCKS_MAX = 100
MESSAGE_BLOCKS_MAX = 50
MESSAGE_TEXT_MAX = 40_000
SELECTS = frozenset({"static_select", "multi_static_select", "external_select", "multi_external_select",
                     "users_select", "multi_users_select", "conversations_select", "multi_conversations_select",
                     "channels_select", "multi_channels_select"})
INPUT_ELEMENTS = frozenset({"plain_text_input", "number_input", "email_text_input", "url_text_input",
                            "datepicker", "timepicker", "datetimepicker", "radio_buttons", "checkboxes",
                            "rich_text_input", "file_input"}) | SELECTS
BLOCK_TYPES = frozenset({"section", "header", "context", "actions", "input", "divider", "image", "rich_text",
                         "video", "file"})


def decode(body: dict) -> dict:
    """The body with `view` and `blocks` JSON strings decoded (form-encoded requests carry them so)."""
    out = dict(body)
    for key in ("view", "blocks"):
        if isinstance(out.get(key), str):
            with contextlib.suppress(ValueError):
                out[key] = json.loads(out[key])
    return out


def violations(method: str, body: dict) -> list[str]:
    """Everything in `body` that Slack would refuse for `method` (empty: Slack accepts it)."""
    body = decode(body)
    out: list[str] = []
    if method in VIEW_METHODS:
        if method in ("views.open", "views.push") and not (body.get("trigger_id") or body.get("interactivity_pointer")):
            out.append(_err("trigger_id or interactivity_pointer is required", "/trigger_id"))
        if method == "views.update" and not (body.get("view_id") or body.get("external_id")):
            out.append(_err("either view_id or external_id is required", "/view_id"))
        if method == "views.publish" and not body.get("user_id"):
            out.append(_err("user_id is required", "/user_id"))
        view = body.get("view")
        if not isinstance(view, dict):
            return [*out, _err("view must be a JSON object", "/view")]
        kind = view.get("type")
        wanted = "home" if method == "views.publish" else "modal"
        if kind != wanted:
            out.append(_err(f"view type must be {wanted} for {method}", "/view/type"))
        out += view_violations(view, "/view")
    elif method in MESSAGE_METHODS:
        out += message_violations(body)
    elif method == "ack":
        out += ack_violations(body)
    return out


def ack_violations(body: Any) -> list[str]:
    """What a listener acks: a view for `response_action` update/push, or an immediate message."""
    if not isinstance(body, dict):
        return []
    action = body.get("response_action")
    if action in ("update", "push"):
        view = body.get("view")
        if not isinstance(view, dict):
            return [_err(f"response_action {action} needs a view", "/view")]
        return view_violations(view, "/view")
    if action == "errors":
        errors = body.get("errors")
        return [] if isinstance(errors, dict) and errors else [_err("errors must be a non-empty object", "/errors")]
    if action is not None and action != "clear":
        return [_err(f"unknown response_action {action!r}", "/response_action")]
    if "blocks" in body or "text" in body:
        return message_violations(body)
    return []


def errors_violations(view: dict, errors: dict) -> list[str]:
    """`response_action: errors` names input blocks of the submitted view (errors show under input
    blocks, keyed by block_id: https://docs.slack.dev/surfaces/modals ; bolt's type is
    `errors: {[blockId: string]: string}`,
    https://docs.slack.dev/tools/bolt-js/reference/interfaces/ViewErrorsResponseAction )."""
    inputs = {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"}
    return [_err(f"errors names {key!r}, not an input block of the view", f"/errors/{key}")
            for key in errors if key not in inputs]


def view_violations(view: dict, at: str = "/view") -> list[str]:
    out: list[str] = []
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [_err("blocks must be an array", f"{at}/blocks")]
    if len(blocks) > MODAL_BLOCKS_MAX:
        out.append(_err(f"must be no more than {MODAL_BLOCKS_MAX} items (has {len(blocks)})", f"{at}/blocks"))
    if view.get("type") == "modal":
        out += _plain(view.get("title"), 24, f"{at}/title", required=True)
        out += _plain(view.get("close"), 24, f"{at}/close")
        out += _plain(view.get("submit"), 24, f"{at}/submit")
        if view.get("submit") is None and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks):
            out.append(_err("a modal with input blocks needs a submit button", f"{at}/submit"))
    out += _max_len(view.get("private_metadata"), 3000, f"{at}/private_metadata")
    out += _max_len(view.get("callback_id"), 255, f"{at}/callback_id")
    out += _max_len(view.get("external_id"), 255, f"{at}/external_id")
    out += blocks_violations(blocks, f"{at}/blocks")
    return out


def message_violations(body: dict) -> list[str]:
    body = decode(body)
    if body.get("delete_original"):
        return []
    out: list[str] = []
    text, blocks = body.get("text"), body.get("blocks")
    if not text and not blocks and not body.get("attachments"):
        out.append(_err("no_text: a message needs text or blocks", "/text"))
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
        out.append(_err(f"msg_too_long: text is {len(text)} characters, max {MESSAGE_TEXT_MAX}", "/text"))
    if blocks is not None:
        if not isinstance(blocks, list):
            return [*out, _err("blocks must be an array", "/blocks")]
        if len(blocks) > MESSAGE_BLOCKS_MAX:
            out.append(_err(f"must be no more than {MESSAGE_BLOCKS_MAX} items (has {len(blocks)})", "/blocks"))
        out += blocks_violations(blocks, "/blocks")
    return out


def blocks_violations(blocks: list, at: str) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, block in enumerate(blocks):
        here = f"{at}/{i}"
        if not isinstance(block, dict):
            out.append(_err("a block must be an object", here))
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            out += _max_len(block_id, 255, f"{here}/block_id", min_len=1)
            if block_id in seen:
                out.append(_err(f"duplicate block_id {block_id!r} (also block {seen[block_id]})", f"{here}/block_id"))
            seen.setdefault(block_id, i)
        out += block_violations(block, here)
    return out


def block_violations(block: dict, at: str) -> list[str]:
    kind = block.get("type")
    out: list[str] = []
    if kind not in BLOCK_TYPES:
        return [_err(f"unknown block type {kind!r}", f"{at}/type")]
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            out.append(_err("a section needs text or fields", at))
        if text is not None:
            out += _text(text, 3000, f"{at}/text")
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                out.append(_err("fields must be an array of no more than 10 items", f"{at}/fields"))
            else:
                for j, f in enumerate(fields):
                    out += _text(f, 2000, f"{at}/fields/{j}")
        if block.get("accessory") is not None:
            out += element_violations(block["accessory"], f"{at}/accessory")
    elif kind == "header":
        out += _plain(block.get("text"), 150, f"{at}/text", required=True)
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > 10:
            out.append(_err("context needs 1 to 10 elements", f"{at}/elements"))
        for j, el in enumerate(elements):
            if isinstance(el, dict) and el.get("type") in ("mrkdwn", "plain_text"):
                out += _text(el, 3000, f"{at}/elements/{j}")
    elif kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > 25:
            out.append(_err("actions needs 1 to 25 elements", f"{at}/elements"))
        action_ids: set[str] = set()
        for j, el in enumerate(elements):
            out += element_violations(el, f"{at}/elements/{j}")
            aid = el.get("action_id") if isinstance(el, dict) else None
            if aid is not None:
                if aid in action_ids:
                    out.append(_err(f"duplicate action_id {aid!r} in one block", f"{at}/elements/{j}/action_id"))
                action_ids.add(aid)
    elif kind == "input":
        out += _plain(block.get("label"), 2000, f"{at}/label", required=True)
        out += _plain(block.get("hint"), 2000, f"{at}/hint")
        element = block.get("element")
        if not isinstance(element, dict) or element.get("type") not in INPUT_ELEMENTS:
            out.append(_err("an input block needs an input element", f"{at}/element"))
        else:
            out += element_violations(element, f"{at}/element")
    return out


def element_violations(el: Any, at: str) -> list[str]:
    if not isinstance(el, dict):
        return [_err("an element must be an object", at)]
    kind = el.get("type")
    out = _max_len(el.get("action_id"), 255, f"{at}/action_id", min_len=1)
    if el.get("confirm") is not None:
        out += _confirm(el["confirm"], f"{at}/confirm")
    out += _plain(el.get("placeholder"), 150, f"{at}/placeholder")
    if kind == "button":
        out += _plain(el.get("text"), 75, f"{at}/text", required=True)
        out += _max_len(el.get("value"), 2000, f"{at}/value")
        out += _max_len(el.get("url"), 3000, f"{at}/url")
        if el.get("style") not in (None, "primary", "danger"):
            out.append(_err("style must be primary or danger", f"{at}/style"))
    elif kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"):
        out += _options(el, kind, at)
    elif kind == "plain_text_input":
        out += _max_len(el.get("initial_value"), 3000, f"{at}/initial_value")
        if el.get("max_length") is not None and not 1 <= int(el["max_length"]) <= 3000:
            out.append(_err("max_length must be 1 to 3000", f"{at}/max_length"))
    elif kind == "image":
        out += _max_len(el.get("alt_text"), 2000, f"{at}/alt_text", min_len=1)
    elif kind not in SELECTS | INPUT_ELEMENTS:
        out.append(_err(f"unknown element type {kind!r}", f"{at}/type"))
    return out


def _options(el: dict, kind: str, at: str) -> list[str]:
    out: list[str] = []
    options, groups = el.get("options"), el.get("option_groups")
    limit = {"radio_buttons": 10, "checkboxes": 10, "overflow": 5}.get(kind, 100)
    every: list[dict] = []
    if groups is not None and kind in ("static_select", "multi_static_select"):
        if options is not None:
            out.append(_err("options and option_groups cannot both be set", f"{at}/options"))
        if not isinstance(groups, list) or not 1 <= len(groups) <= 100:
            return [*out, _err("option_groups must hold 1 to 100 groups", f"{at}/option_groups")]
        for g, group in enumerate(groups):
            out += _plain(group.get("label"), 75, f"{at}/option_groups/{g}/label", required=True)
            opts = group.get("options") or []
            if not 1 <= len(opts) <= 100:
                out.append(_err("a group holds 1 to 100 options", f"{at}/option_groups/{g}/options"))
            for j, o in enumerate(opts):
                out += _option(o, kind, f"{at}/option_groups/{g}/options/{j}")
            every += opts
    else:
        low = 2 if kind == "overflow" else 1
        if not isinstance(options, list) or not low <= len(options) <= limit:
            count = len(options) if isinstance(options, list) else 0
            return [*out, _err(f"must hold {low} to {limit} options (has {count})", f"{at}/options")]
        for j, o in enumerate(options):
            out += _option(o, kind, f"{at}/options/{j}")
        every = options
    if el.get("initial_option") is not None and el["initial_option"] not in every:
        out.append(_err("initial_option must exactly match one of the options", f"{at}/initial_option"))
    for j, o in enumerate(el.get("initial_options") or []):
        if o not in every:
            out.append(_err("initial_options must each match one of the options", f"{at}/initial_options/{j}"))
    return out


def _option(o: Any, kind: str, at: str) -> list[str]:
    if not isinstance(o, dict):
        return [_err("an option must be an object", at)]
    text_limit = 75
    out = (_plain(o.get("text"), text_limit, f"{at}/text", required=True)
           if kind not in ("radio_buttons", "checkboxes") else _text(o.get("text"), text_limit, f"{at}/text"))
    out += _max_len(o.get("value"), 150, f"{at}/value", min_len=1)
    if o.get("value") is None:
        out.append(_err("an option needs a value", f"{at}/value"))
    out += _plain(o.get("description"), 75, f"{at}/description")
    return out


def _confirm(c: Any, at: str) -> list[str]:
    if not isinstance(c, dict):
        return [_err("confirm must be an object", at)]
    return (_plain(c.get("title"), 100, f"{at}/title", required=True) + _text(c.get("text"), 300, f"{at}/text")
            + _plain(c.get("confirm"), 30, f"{at}/confirm", required=True)
            + _plain(c.get("deny"), 30, f"{at}/deny", required=True))


def _text(obj: Any, limit: int, at: str) -> list[str]:
    """A text object (plain_text or mrkdwn) of 1..limit characters."""
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [_err("must be a text object (plain_text or mrkdwn)", at)]
    return _max_len(obj.get("text"), limit, f"{at}/text", min_len=1, required=True)


def _plain(obj: Any, limit: int, at: str, *, required: bool = False) -> list[str]:
    if obj is None:
        return [_err("is required", at)] if required else []
    if not isinstance(obj, dict) or obj.get("type") != "plain_text":
        return [_err("must be a plain_text text object", at)]
    return _max_len(obj.get("text"), limit, f"{at}/text", min_len=1, required=True)


def _max_len(value: Any, limit: int, at: str, *, min_len: int = 0, required: bool = False) -> list[str]:
    if value is None:
        return [_err("is required", at)] if required else []
    if not isinstance(value, str):
        return [_err("must be a string", at)]
    if len(value) > limit:
        return [_err(f"must be less than {limit + 1} characters (has {len(value)})", at)]
    if len(value) < min_len:
        return [_err(f"must be at least {min_len} characters", at)]
    return []


def _err(what: str, pointer: str) -> str:
    return f"[ERROR] {what} [json-pointer:{pointer}]"
