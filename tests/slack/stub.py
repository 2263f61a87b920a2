"""A local stand-in for the Slack Web API: a threaded HTTP server on 127.0.0.1 that records every
call (method + parsed body) and answers from configurable responses.

    stub = SlackStub().start()
    client = WebClient(token="xoxb-test", base_url=stub.api_url)
    stub.users["U1"] = stub.user("U1", email="a@example.com", is_admin=True)
    stub.on("chat.postMessage", {"ok": False, "error": "channel_not_found"})
    ...
    stub.calls("views.open")           # recorded bodies, oldest first
    stub.wait_for("chat.postEphemeral")  # for listeners that answer after ack()

Response URLs: `stub.response_url("abc")` gives a URL whose POSTs are recorded as method
"response_url" (with the path id under "_id").

It refuses what Slack refuses, as Slack does, and the test fails for it:

- every view and message goes through `tests/slack/rules.py` (Slack's documented Block Kit and
  view limits, each cited there); a refused call answers `{"ok": false, "error":
  "invalid_arguments" (views) or "invalid_blocks" (messages), "response_metadata": {"messages":
  [...]}}`, like Slack;
- a refused POST to a response URL answers HTTP 400 with the error as plain text (e.g.
  `invalid_blocks`), as Slack's webhooks do: https://api.slack.com/messaging/webhooks#handling_errors ;
- a `trigger_id` opens or pushes one view only (`exchanged_trigger_id`); with `trigger_ttl` set,
  one older than that many seconds is `expired_trigger_id` (tests/slack/payloads.py stamps the
  issue time into the ids it makes). "They expire in three seconds ... they can be used only
  once": https://api.slack.com/docs/triggers ; errors as listed for views.open/views.push in
  https://docs.slack.dev/reference/methods/views.push ;
- channel membership (`add_channel(id, is_member=…, members=…)`): `chat.postMessage` to a
  channel the stub does not know answers `channel_not_found`, to one the bot is not in
  `not_in_channel`; `chat.postEphemeral` to a user outside the channel `user_not_in_channel`
  (errors of chat.postMessage / chat.postEphemeral in
  ../shared/specs/slack/slack_web_openapi_v2_without_examples.json, and "The user should be in
  the channel specified by the channel argument":
  https://docs.slack.dev/reference/methods/chat.postEphemeral ). A DM (channel `D…`, or a user
  id the stub knows, answered with its `D…` channel as Slack does) always works;
- `chat.update` needs the channel and `ts` a `chat.postMessage` answered, else
  `message_not_found` (https://docs.slack.dev/reference/methods/chat.update ).
- `usergroups.*` answer from `stub.usergroups` (`bot/sandbox/slack_usergroups.py`, shared with the
  sandbox, rules cited there): `stub.usergroups.restricted = "permission_denied"` makes every write
  refused as on a workspace where only admins manage user groups; a call the bot should never make
  (no users, unknown or bot users, no name) is also kept as a refusal.

Every refusal is kept in `stub.refusals`; the `slack_stub` fixture fails the test at teardown
when there is one the test did not announce with `stub.expect_refusal("not_in_channel")`
(a substring of the error or message). Answers set with `stub.on(...)` are given only to calls
that pass the rules.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from bot.sandbox.http import serve_in_thread
from bot.sandbox.slack_usergroups import METHODS as USERGROUP_METHODS
from bot.sandbox.slack_usergroups import Usergroups
from tests.slack import rules

Answer = dict | Callable[[dict], dict]
# usergroups.* errors that only a wrong call gets (not the workspace's settings or state)
BOT_MISTAKES = frozenset({"no_users_provided", "invalid_users", "invalid_user", "missing_argument"})


@dataclass(frozen=True)
class Refusal:
    method: str
    error: str
    messages: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method}: {self.error}" + "".join(f"\n    {m}" for m in self.messages)


@dataclass(frozen=True)
class Call:
    method: str
    body: dict
    headers: dict
    raw: str


class SlackStub:
    def __init__(self, team_id: str = "T1", bot_user_id: str = "UBOT"):
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.users: dict[str, dict] = {}
        self.channels: dict[str, dict] = {}
        self._answers: dict[str, Answer] = {}
        self._calls: list[Call] = []
        self._lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._stop: Callable[[], None] | None = None
        self._members: dict[str, set[str] | None] = {}
        self._messages: set[tuple[str, str]] = set()  # (channel, ts) of every message posted
        self._ts = 0
        self._view_counter = 0
        self.refusals: list[Refusal] = []
        self.views_by_callback: dict[str, dict] = {}  # the latest modal served per callback_id
        self._expected: list[str] = []
        self._triggers: set[str] = set()
        self.trigger_ttl: float | None = None
        self.usergroups = Usergroups(team_id, users=lambda: self.users,
                                     channel_names=lambda: {c["name"] for c in self.channels.values()})

    # ------------------------------------------------------------ set-up

    def start(self) -> SlackStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                status, answer = stub._handle(self.path, raw, dict(self.headers))
                text = isinstance(answer, str)  # a response URL's refusal is plain text, like Slack's
                data = (answer if text else json.dumps(answer)).encode()
                self.send_response(status)
                self.send_header("Content-Type", f"{'text/plain' if text else 'application/json'}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._stop = serve_in_thread(self._server, "slack-stub")
        return self

    def stop(self) -> None:
        if self._stop:
            self._stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/response/{name}"

    def on(self, method: str, answer: Answer) -> None:
        """Answer `method` with this dict (or the result of calling it with the request body)."""
        self._answers[method] = answer

    @staticmethod
    def user(user_id: str, *, email: str | None = None, name: str | None = None, is_admin: bool = False,
             is_owner: bool = False, deleted: bool = False, is_bot: bool = False, tz: str | None = None) -> dict:
        """A users.info `user`; `tz` (e.g. "Europe/Berlin") is served with `tz_label` and `tz_offset` (seconds
        east of UTC, now) as Slack does: https://docs.slack.dev/reference/objects/user-object """
        name = name or user_id.lower()
        user = {"id": user_id, "name": name, "real_name": name.title(), "deleted": deleted, "is_bot": is_bot,
                "is_admin": is_admin, "is_owner": is_owner,
                "profile": {"email": email, "real_name": name.title()}}
        if tz:
            offset = datetime.now(ZoneInfo(tz)).utcoffset()
            user.update(tz=tz, tz_label=tz, tz_offset=int(offset.total_seconds()) if offset else 0)
        return user

    def add_user(self, user_id: str, **kw: Any) -> dict:
        self.users[user_id] = self.user(user_id, **kw)
        return self.users[user_id]

    def add_channel(self, channel_id: str, *, is_member: bool = True, name: str | None = None,
                    members: Iterable[str] | None = None) -> None:
        """A channel; `is_member`: the bot is in it; `members`: its people (None: every user the stub
        knows, at the time of each call)."""
        self.channels[channel_id] = {"id": channel_id, "name": name or channel_id.lower(), "is_channel": True,
                                     "is_private": channel_id.startswith("G"), "is_member": is_member}
        self._members[channel_id] = None if members is None else set(members)

    def expect_refusal(self, text: str) -> None:
        """This test provokes a refusal whose error or message contains `text`: do not fail it."""
        self._expected.append(text)

    def unexpected_refusals(self) -> list[Refusal]:
        return [r for r in self.refusals
                if not any(e in r.error or any(e in m for m in r.messages) for e in self._expected)]

    def assert_no_refusals(self) -> None:
        bad = self.unexpected_refusals()
        assert not bad, "Slack would have refused:\n" + "\n".join(f"  {r}" for r in bad)

    # ------------------------------------------------------------ inspection

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def bodies(self, method: str) -> list[dict]:
        return [c.body for c in self.calls(method)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `method` was called `count` times (listeners keep working after ack)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({c.method for c in self._calls})
                    raise AssertionError(f"{method} called {len(found)} times, wanted {count}; saw {seen}")
                self._lock.wait(left)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    def all_text(self) -> str:
        """Every recorded request body, raw: for asserting a secret never reached Slack."""
        return "\n".join(c.raw for c in self.calls())

    # ------------------------------------------------------------ serving

    def _handle(self, path: str, raw: str, headers: dict) -> tuple[int, dict | str]:
        if path.startswith("/response/"):
            method, body = "response_url", _parse(raw, headers)
            body["_id"] = path.rsplit("/", 1)[-1]
        else:
            method, body = path.split("?")[0].removeprefix("/api/"), _parse(raw, headers)
        with self._lock:
            self._calls.append(Call(method, body, headers, raw))
            self._lock.notify_all()
        refusal = self.check(method, body)
        if refusal is not None:
            if method == "response_url":  # HTTP 400 with the error as text
                return 400, refusal["error"]
            return 200, refusal
        answer = self._answers.get(method)
        if answer is None:
            answer = self._default(method, body)
        elif callable(answer):
            answer = answer(body)
        return 200, answer

    def check(self, method: str, body: dict) -> dict | None:
        """Slack's refusal of this call (recorded in `refusals`), or None when Slack accepts it."""
        messages = rules.violations(method, body)
        if messages:
            error = "invalid_arguments" if method in rules.VIEW_METHODS or method == "ack" else "invalid_blocks"
            return self._refuse(method, error, messages)
        error = self._state_error(method, body)
        return self._refuse(method, error, []) if error else None

    def check_submission_ack(self, payload: dict, ack: dict) -> None:
        """A view submission answered with `response_action: errors`: each key must be an input block of
        the view the stub last served under that callback_id (crafted submissions of views never served
        are not checked)."""
        view = self.views_by_callback.get((payload.get("view") or {}).get("callback_id", ""))
        errors = ack.get("errors") if isinstance(ack, dict) and ack.get("response_action") == "errors" else None
        if view is not None and isinstance(errors, dict):
            messages = rules.errors_violations(view, errors)
            if messages:
                self._refuse("ack", "invalid_arguments", messages)

    def _refuse(self, method: str, error: str, messages: list[str]) -> dict:
        with self._lock:
            self.refusals.append(Refusal(method, error, tuple(messages)))
        answer: dict = {"ok": False, "error": error}
        if messages:
            answer["response_metadata"] = {"messages": messages}
        return answer

    def _state_error(self, method: str, body: dict) -> str | None:
        if method in ("views.open", "views.push"):
            trigger = str(body.get("trigger_id") or "")
            with self._lock:
                if trigger in self._triggers:
                    return "exchanged_trigger_id"
                self._triggers.add(trigger)
            issued = _issued_at(trigger)
            if self.trigger_ttl is not None and issued is not None and time.time() - issued > self.trigger_ttl:
                return "expired_trigger_id"
        if method == "chat.update" and (str(body.get("channel")), str(body.get("ts"))) not in self._messages:
            return "message_not_found"
        if method in ("chat.postMessage", "chat.postEphemeral"):
            channel = str(body.get("channel") or "")
            if channel.startswith("D") or (method == "chat.postMessage" and channel in self.users):
                return None
            if channel not in self.channels:
                return "channel_not_found"
            if method == "chat.postMessage" and not self.channels[channel]["is_member"]:
                return "not_in_channel"
            if method == "chat.postEphemeral" and body.get("user") not in self.channel_members(channel):
                return "user_not_in_channel"
        return None

    def channel_members(self, channel_id: str) -> set[str]:
        members = self._members.get(channel_id)
        return set(self.users) if members is None else members

    def _default(self, method: str, body: dict) -> dict:
        if method == "response_url":
            return {"ok": True}
        if method == "auth.test":
            return {"ok": True, "team_id": self.team_id, "team": "Test", "user_id": self.bot_user_id,
                    "bot_id": "BBOT", "user": "oncall", "url": "https://test.slack.com/"}
        if method == "users.info":
            user = self.users.get(body.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "users.lookupByEmail":
            email = (body.get("email") or "").lower()
            user = next((u for u in self.users.values() if (u["profile"].get("email") or "").lower() == email), None)
            return {"ok": True, "user": user} if user else {"ok": False, "error": "users_not_found"}
        if method == "conversations.info":
            channel = self.channels.get(body.get("channel", ""))
            return {"ok": True, "channel": channel} if channel else {"ok": False, "error": "channel_not_found"}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            with self._lock:
                self._view_counter += 1
                view_id = body.get("view_id") or f"V{self._view_counter:04d}"
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            if view.get("callback_id"):
                self.views_by_callback[view["callback_id"]] = view
            return {"ok": True, "view": {**view, "id": view_id, "hash": f"h{self._view_counter}"}}
        if method == "chat.postMessage":
            channel = str(body.get("channel") or "")
            channel = f"D{channel}" if channel in self.users else channel  # a DM to a user id: its D… channel
            with self._lock:
                self._ts += 1
                ts = f"{int(time.time())}.{self._ts:06d}"
                self._messages.add((channel, ts))
            return {"ok": True, "channel": channel, "ts": ts}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{time.time():.6f}"}
        if method in USERGROUP_METHODS:
            answer = self.usergroups.handle(method, body)
            if answer.get("error") in BOT_MISTAKES:
                self._refuse(method, answer["error"], [])
            return answer
        return {"ok": True}


def _issued_at(trigger_id: str) -> float | None:
    """Payload trigger ids look like Slack's, `<n>.<issued ms>.<hex>` (see tests/slack/payloads.py)."""
    parts = trigger_id.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        return int(parts[1]) / 1000
    return None


def _parse(raw: str, headers: dict) -> dict:
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "json" in ctype:
        try:
            return json.loads(raw or "{}")
        except ValueError:
            return {"_raw": raw}
    return rules.decode({k: v[0] for k, v in parse_qs(raw).items()})
