"""Build Slack requests for tests: signed HTTP bodies, interactive payloads, Socket Mode envelopes.

Reusable by every feature's tests (swaps, sync alerts …):

    body = form(slash_command("status Platform"))
    resp = http.post(body)                       # signed with SIGNING_SECRET, now
    resp = http.post(body, timestamp=time.time() - 600)   # replayed → 401
    resp = http.action(block_actions("remove_connection", "3"))
    resp = http.submit(view_submission("connect_modal", {...}))
    resp = socket.send("slash_commands", slash_command("who"))

Input state helpers (`text`, `select`, `radio`, `number`, `multi`, `conversation`, `users`) build
the `view.state.values[block][action]` entries of a submission.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "test-signing-secret-0123456789"
TEAM = "T1"
USER = "U1"
CHANNEL = "C1"


# ---------------------------------------------------------------- signing


def sign(body: str, secret: str = SIGNING_SECRET, timestamp: float | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for `body`."""
    ts = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def form(fields: dict[str, Any]) -> str:
    return urlencode(fields)


def interactive(payload: dict) -> str:
    """The form body Slack posts for interactivity: `payload=<json>`."""
    return urlencode({"payload": json.dumps(payload)})


# ---------------------------------------------------------------- payloads

_triggers = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh trigger id shaped like Slack's, stamped with its issue time (ms) for the stub's expiry."""
    return f"{next(_triggers)}.{int(time.time() * 1000)}.{next(_triggers):08x}"



def slash_command(text: str, *, user_id: str = USER, team_id: str = TEAM, channel_id: str = CHANNEL,
                  response_url: str = "https://hooks.slack.invalid/commands/1", trigger_id: str | None = None,
                  command: str = "/oncall") -> dict:
    return {"token": "legacy", "team_id": team_id, "team_domain": "test", "channel_id": channel_id,
            "channel_name": "general", "user_id": user_id, "user_name": user_id.lower(), "command": command,
            "text": text, "api_app_id": "A1", "response_url": response_url,
            "trigger_id": trigger_id or new_trigger_id()}


def block_actions(action_id: str, value: str | None = None, *, user_id: str = USER, team_id: str = TEAM,
                  channel_id: str | None = CHANNEL, response_url: str | None = None, view: dict | None = None,
                  selected_option: dict | None = None, block_id: str = "b1", trigger_id: str | None = None) -> dict:
    action: dict = {"action_id": action_id, "block_id": block_id, "type": "button", "action_ts": "1.0"}
    if value is not None:
        action["value"] = value
    if selected_option is not None:
        action.update(type="static_select", selected_option=selected_option)
    payload: dict = {"type": "block_actions", "team": {"id": team_id, "domain": "test"},
                     "user": {"id": user_id, "team_id": team_id}, "api_app_id": "A1", "token": "legacy",
                     "trigger_id": trigger_id or new_trigger_id(), "actions": [action]}
    if channel_id:
        payload["channel"] = {"id": channel_id, "name": "general"}
        payload["container"] = {"type": "message", "channel_id": channel_id, "is_ephemeral": True}
    if response_url:
        payload["response_url"] = response_url
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
    return payload


def view_submission(callback_id: str, values: dict[str, dict[str, dict]], *, private_metadata: str = "",
                    user_id: str = USER, team_id: str = TEAM, view_id: str = "V1") -> dict:
    return {"type": "view_submission", "team": {"id": team_id, "domain": "test"},
            "user": {"id": user_id, "team_id": team_id}, "api_app_id": "A1", "token": "legacy",
            "trigger_id": new_trigger_id(),
            "view": {"id": view_id, "type": "modal", "callback_id": callback_id, "team_id": team_id,
                     "private_metadata": private_metadata, "hash": "h1", "state": {"values": values}}}


def event_callback(event: dict, team_id: str = TEAM) -> dict:
    return {"token": "legacy", "team_id": team_id, "api_app_id": "A1", "type": "event_callback",
            "event_id": "Ev1", "event_time": int(time.time()), "event": event,
            "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}]}


def app_home_opened(user_id: str = USER, team_id: str = TEAM) -> dict:
    return event_callback({"type": "app_home_opened", "user": user_id, "channel": "D1", "tab": "home",
                           "event_ts": "1.0"}, team_id)


# state values of a submitted view


def text(value: str | None) -> dict:
    return {"type": "plain_text_input", "value": value}


def number(value: str | int | None) -> dict:
    return {"type": "number_input", "value": None if value is None else str(value)}


def select(value: str | None, label: str = "") -> dict:
    opt = {"text": {"type": "plain_text", "text": label or value or ""}, "value": value} if value else None
    return {"type": "static_select", "selected_option": opt}


def radio(value: str | None) -> dict:
    return {**select(value), "type": "radio_buttons"}


def multi(options: Iterable[tuple[str, str]]) -> dict:
    return {"type": "multi_static_select",
            "selected_options": [{"text": {"type": "plain_text", "text": t}, "value": v} for v, t in options]}


def conversation(channel_id: str | None) -> dict:
    return {"type": "conversations_select", "selected_conversation": channel_id}


def users(user_ids: Iterable[str]) -> dict:
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


# ---------------------------------------------------------------- drivers


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class HttpDriver:
    """Posts signed requests into a WSGI app (e.g. `bot.server.make_wsgi_app(app)`), in process.

    With a `stub` (tests/slack/stub.py), every JSON ack (a `response_action` view, an immediate
    message) goes through Slack's rules too, and a refused one fails the test like a refused call."""

    def __init__(self, wsgi_app: Callable, secret: str = SIGNING_SECRET, stub: Any = None):
        self.wsgi_app = wsgi_app
        self.secret = secret
        self.stub = stub

    def request(self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None,
                content_type: str = "application/x-www-form-urlencoded") -> Response:
        data = body.encode()
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "test",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data), "wsgi.errors": io.StringIO(), "CONTENT_LENGTH": str(len(data)),
            "CONTENT_TYPE": content_type,
        }
        for key, value in (headers or {}).items():
            environ["HTTP_" + key.upper().replace("-", "_")] = value
        captured: dict = {}

        def start_response(status: str, response_headers: list, exc_info=None) -> None:
            captured["status"] = int(status.split()[0])
            captured["headers"] = {k.lower(): v for k, v in response_headers}

        chunks = self.wsgi_app(environ, start_response)
        out = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        response = Response(captured["status"], captured["headers"], out.decode())
        if self.stub is not None and response.body and "json" in response.headers.get("content-type", ""):
            self.stub.check("ack", response.json())
        return response

    def post(self, body: str, *, timestamp: float | None = None, signature: str | None = None,
             content_type: str = "application/x-www-form-urlencoded", path: str = "/slack/events") -> Response:
        headers = sign(body, self.secret, timestamp)
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        return self.request("POST", path, body, headers, content_type)

    def command(self, text: str, **kw: Any) -> Response:
        return self.post(form(slash_command(text, **kw)))

    def interact(self, payload: dict) -> Response:
        response = self.post(interactive(payload))
        if self.stub is not None and payload.get("type") == "view_submission" and response.body \
                and "json" in response.headers.get("content-type", ""):
            self.stub.check_submission_ack(payload, response.json())
        return response

    def event(self, payload: dict) -> Response:
        return self.post(json.dumps(payload), content_type="application/json")


class FakeSocketClient:
    """Records what a Socket Mode handler sends back (the ack of each envelope)."""

    def __init__(self) -> None:
        import logging

        self.logger = logging.getLogger("tests.socket")
        self.sent: list = []

    def send_socket_mode_response(self, response) -> None:
        self.sent.append(response)


class SocketDriver:
    """Feeds Socket Mode envelopes to a bolt SocketModeHandler's `handle`, as its websocket would."""

    def __init__(self, handler, stub: Any = None):
        self.handler = handler
        self.client = FakeSocketClient()
        self.stub = stub
        self._n = 0

    def send(self, kind: str, payload: dict) -> dict | None:
        """kind: "slash_commands" | "interactive" | "events_api". Returns the ack payload sent back."""
        from slack_sdk.socket_mode.request import SocketModeRequest

        self._n += 1
        req = SocketModeRequest(type=kind, envelope_id=f"env-{self._n}", payload=payload)
        self.handler.handle(self.client, req)
        assert self.client.sent and self.client.sent[-1].envelope_id == req.envelope_id, "no ack sent"
        payload = self.client.sent[-1].payload
        if self.stub is not None and payload:
            self.stub.check("ack", payload)
        return payload
