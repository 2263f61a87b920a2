"""The other direction: what people in the simulated workspace do, sent to the bot's `/slack/events`
exactly as Slack sends it (signed with the signing secret, form-encoded, a `response_url` and a
single-use `trigger_id` per interaction).

    people = SlackPeople(slack, "http://127.0.0.1:3000/slack/events", secret)
    people.command("U2", "swap @alice")
    people.press("U2", "Accept")
    people.fill("U1", {"API key": "…"}); people.submit("U1")
    people.home("U2")
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.sandbox.slack_api import SlackSim, Surface

SELECTS = ("static_select", "external_select", "radio_buttons")
MULTI = ("multi_static_select", "multi_external_select", "checkboxes")


class SandboxError(Exception):
    """A step cannot be done (no such button, no modal open, a field value that fits no option)."""


def sign(body: str, secret: str, timestamp: float | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for `body`."""
    ts = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class Field:
    """An input of a modal, with where its value goes in `view.state.values`."""

    block_id: str
    action_id: str
    label: str
    element: dict
    optional: bool
    dispatch: bool


def options(element: dict) -> list[dict]:
    groups = element.get("option_groups") or []
    return list(element.get("options") or []) + [o for g in groups for o in g.get("options") or []]


def option_text(option: dict) -> str:
    return (option.get("text") or {}).get("text", "")


def elements(blocks: list[dict]) -> Iterator[tuple[dict, dict]]:
    """(block, element) for every interactive element of `blocks`."""
    for block in blocks:
        for el in [block.get("accessory"), block.get("element"), *(block.get("elements") or [])]:
            if isinstance(el, dict) and el.get("action_id"):
                yield block, el


def fields(view: dict) -> list[Field]:
    out = []
    for block in view.get("blocks") or []:
        if block.get("type") == "input" and isinstance(block.get("element"), dict):
            el = block["element"]
            out.append(Field(block.get("block_id", ""), el.get("action_id", ""),
                             (block.get("label") or {}).get("text", ""), el, bool(block.get("optional")),
                             bool(block.get("dispatch_action"))))
        elif block.get("type") == "section" and (block.get("accessory") or {}).get("type", "").endswith("select"):
            # a select beside a section: Slack sends its block_actions as soon as it is picked
            el = block["accessory"]
            label = (block.get("text") or {}).get("text", "").strip("*_ ")
            out.append(Field(block.get("block_id", ""), el.get("action_id", ""), label, el, True, True))
    return out


class SlackPeople:
    def __init__(self, slack: SlackSim, events_url: str, signing_secret: str, *, channel: str = "C1"):
        self.slack = slack
        self.events_url = events_url
        self.secret = signing_secret
        self.channel = channel
        self.http = httpx.Client(timeout=15)
        self.filled: dict[str, dict[str, dict]] = {}  # modal id -> state values typed so far

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------ sending

    def _post(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> httpx.Response:
        headers = {**sign(body, self.secret), "Content-Type": content_type}
        return self.http.post(self.events_url, content=body.encode(), headers=headers)

    def _interact(self, payload: dict) -> httpx.Response:
        return self._post(urlencode({"payload": json.dumps(payload)}))

    def _base(self, user: str) -> dict:
        return {"team": {"id": self.slack.team_id, "domain": "sandbox"},
                "user": {"id": user, "username": self.slack.name_of(user), "team_id": self.slack.team_id},
                "api_app_id": "ASANDBOX", "token": "legacy", "trigger_id": self.slack.new_trigger(user)}

    def command(self, user: str, text: str, *, channel: str | None = None) -> httpx.Response:
        channel = channel or self.channel
        fields_ = {"token": "legacy", "team_id": self.slack.team_id, "team_domain": "sandbox",
                   "channel_id": channel, "channel_name": (self.slack.channels.get(channel) or {}).get("name", ""),
                   "user_id": user, "user_name": self.slack.name_of(user), "command": "/oncall", "text": text,
                   "api_app_id": "ASANDBOX", "response_url": self.slack.new_response_url(user, channel),
                   "trigger_id": self.slack.new_trigger(user)}
        return self._post(urlencode(fields_))

    def home(self, user: str) -> httpx.Response:
        event = {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home",
                 "event_ts": f"{time.time():.6f}"}
        body = {"token": "legacy", "team_id": self.slack.team_id, "api_app_id": "ASANDBOX", "type": "event_callback",
                "event_id": f"Ev{time.time_ns()}", "event_time": int(time.time()), "event": event,
                "authorizations": [{"team_id": self.slack.team_id, "user_id": self.slack.bot_user_id,
                                    "is_bot": True}]}
        return self._post(json.dumps(body), "application/json")

    # ------------------------------------------------------------ buttons

    def find_button(self, user: str, label: str) -> tuple[Surface, dict, dict]:
        """The newest button (or overflow option) labelled `label` (case-insensitive, prefix) that
        `user` can see: in an open modal first, then messages, DMs and the Home tab."""
        wanted = label.strip().strip('"').lower()
        modal = self.slack.open_modal(user)
        surfaces = ([modal] if modal else []) + [s for s in self.slack.visible(user) if s.kind != "modal"]
        for exact in (True, False):
            for surface in surfaces:
                for block, el in elements(surface.payload.get("blocks") or []):
                    if el.get("type") != "button":
                        continue
                    text = (el.get("text") or {}).get("text", "").lower()
                    if text == wanted if exact else text.startswith(wanted) or wanted in text:
                        return surface, block, el
        raise SandboxError(f"{self.slack.name_of(user)} sees no button labelled {label!r}")

    def press(self, user: str, label: str) -> httpx.Response:
        surface, block, el = self.find_button(user, label)
        return self.act(user, surface, block, el)

    def act(self, user: str, surface: Surface, block: dict, el: dict, selected: dict | None = None) -> httpx.Response:
        action = {"action_id": el["action_id"], "block_id": block.get("block_id", ""), "type": el.get("type"),
                  "action_ts": f"{time.time():.6f}"}
        if el.get("value") is not None:
            action["value"] = el["value"]
        if el.get("text"):
            action["text"] = el["text"]
        if selected is not None:
            action["selected_option"] = selected
        payload = {"type": "block_actions", **self._base(user), "actions": [action]}
        if surface.kind in ("modal", "home"):
            view = {**surface.payload, "team_id": self.slack.team_id,
                    "state": {"values": self.state(user, surface)}, "hash": "h"}
            payload.update(view=view, container={"type": "view", "view_id": surface.id})
        else:
            channel = surface.channel or self.channel
            payload.update(channel={"id": channel, "name": (self.slack.channels.get(channel) or {}).get("name", "")},
                           container={"type": "message", "message_ts": surface.id, "channel_id": channel,
                                      "is_ephemeral": surface.kind == "ephemeral"},
                           response_url=self.slack.new_response_url(user, channel, surface.id))
            if surface.kind != "ephemeral":
                payload["message"] = {**surface.payload, "ts": surface.id}
        return self._interact(payload)

    # ------------------------------------------------------------ modals

    def modal(self, user: str) -> Surface:
        modal = self.slack.open_modal(user)
        if modal is None:
            raise SandboxError(f"{self.slack.name_of(user)} has no modal open")
        return modal

    def state(self, user: str, surface: Surface) -> dict[str, dict]:
        """The modal's inputs as Slack reports them: initial values, overwritten by what was typed."""
        values: dict[str, dict] = {}
        for block, el in elements(surface.payload.get("blocks") or []):
            if el.get("type") == "button":
                continue
            values.setdefault(block.get("block_id", ""), {})[el["action_id"]] = initial_state(el)
        for block_id, actions in self.filled.get(surface.id, {}).items():
            values.setdefault(block_id, {}).update(actions)
        return values

    def field(self, surface: Surface, name: str) -> Field:
        wanted = name.strip().lower()
        found = fields(surface.payload)
        for exact in (True, False):
            for f in found:
                label = f.label.lower()
                if (label == wanted or f.block_id.lower() == wanted) if exact else label.startswith(wanted):
                    return f
        labels = ", ".join(f.label for f in found) or "none"
        raise SandboxError(f"the modal has no field {name!r} (fields: {labels})")

    def fill(self, user: str, answers: Mapping[str, str]) -> None:
        """Type `answers` (field label → text) into the open modal; a field that dispatches its
        action (e.g. picking an account) tells the bot at once, as Slack does."""
        for name, raw in answers.items():
            surface = self.modal(user)
            f = self.field(surface, name)
            entry = state_entry(f.element, raw, self.slack)
            self.filled.setdefault(surface.id, {}).setdefault(f.block_id, {})[f.action_id] = entry
            if f.dispatch:
                before = surface.payload
                self.act(user, surface, {"block_id": f.block_id}, f.element, selected=entry.get("selected_option"))
                self.slack.wait_for(lambda s=surface, b=before: s.payload is not b, timeout=15)

    def submit(self, user: str) -> dict | None:
        """Submit the open modal; returns the bot's `response_action` answer (errors are kept shown)."""
        surface = self.modal(user)
        view = {**surface.payload, "team_id": self.slack.team_id, "hash": "h",
                "state": {"values": self.state(user, surface)}}
        resp = self._interact({"type": "view_submission", **self._base(user), "view": view})
        if resp.status_code != 200:
            raise SandboxError(f"the bot answered {resp.status_code} to the submission")
        answer = resp.json() if resp.content.strip() else None
        if answer is not None and self.slack.refused("ack", answer):
            raise SandboxError("Slack refused the bot's answer to the submission: "
                               + "; ".join(self.slack.problems[-3:]))
        action = (answer or {}).get("response_action")
        if action == "errors":
            return answer
        self.filled.pop(surface.id, None)
        if action == "update":
            self.slack.replace_modal(surface.id, answer["view"])
        elif action == "push":
            self.slack.push_modal(user, answer["view"])
        else:
            self.slack.close_modals(user, all_=action == "clear")
        return answer

    def cancel(self, user: str) -> None:
        self.slack.close_modals(user)


def initial_state(el: dict) -> dict:
    kind = el.get("type")
    entry: dict[str, Any] = {"type": kind}
    if kind in SELECTS:
        entry["selected_option"] = el.get("initial_option")
    elif kind in MULTI:
        entry["selected_options"] = el.get("initial_options") or []
    elif kind == "conversations_select":
        entry["selected_conversation"] = el.get("initial_conversation")
    elif kind == "channels_select":
        entry["selected_channel"] = el.get("initial_channel")
    elif kind == "users_select":
        entry["selected_user"] = el.get("initial_user")
    elif kind == "multi_users_select":
        entry["selected_users"] = el.get("initial_users") or []
    elif kind == "datepicker":
        entry["selected_date"] = el.get("initial_date")
    elif kind == "timepicker":
        entry["selected_time"] = el.get("initial_time")
    else:
        entry["value"] = el.get("initial_value")
    return entry


def pick(el: dict, raw: str) -> dict:
    """The option whose value or text is `raw` (case-insensitive; else the only one it starts)."""
    wanted = raw.strip().lower()
    opts = options(el)
    exact = [o for o in opts if wanted in (str(o.get("value", "")).lower(), option_text(o).lower())]
    loose = [o for o in opts if option_text(o).lower().startswith(wanted) or wanted in option_text(o).lower()]
    if exact or len(loose) == 1:
        return (exact or loose)[0]
    choices = "; ".join(option_text(o) for o in opts)
    raise SandboxError(f"{raw!r} is not one of the choices: {choices}")


def state_entry(el: dict, raw: str, slack: SlackSim) -> dict:
    """What Slack reports for an element after a person typed `raw` (comma-separated for multi)."""
    kind = el.get("type")
    entry = initial_state(el)
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if kind in SELECTS:
        entry["selected_option"] = pick(el, raw) if raw.strip() else None
    elif kind in MULTI:
        entry["selected_options"] = [pick(el, p) for p in parts]
    elif kind in ("conversations_select", "channels_select"):
        channel = slack.channel_id(raw) if raw.strip() else None
        if raw.strip() and channel is None:
            raise SandboxError(f"no channel {raw!r}")
        entry["selected_conversation" if kind == "conversations_select" else "selected_channel"] = channel
    elif kind in ("users_select", "multi_users_select"):
        ids = [slack.user_id(p) for p in parts]
        if None in ids:
            raise SandboxError(f"no such person among {raw!r}")
        if kind == "users_select":
            entry["selected_user"] = ids[0] if ids else None
        else:
            entry["selected_users"] = ids
    elif kind == "datepicker":
        entry["selected_date"] = raw.strip() or None
    elif kind == "timepicker":
        entry["selected_time"] = raw.strip() or None
    else:
        entry["value"] = raw if raw != "" else None
    return entry
