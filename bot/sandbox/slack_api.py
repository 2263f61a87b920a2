"""A Slack workspace as the bot sees it through the Web API: the methods the bot calls, with state.

Every message, ephemeral reply, DM, modal and Home tab the bot produces becomes a `Surface` (updated
in place by `chat.update`, `views.update`, `replace_original`), and every change is appended to
`events`, which the terminal session prints. `trigger_id`s are single-use and belong to one person;
`views.update` needs `view_id` or `external_id`. User groups (`usergroups.*`) follow
`bot/sandbox/slack_usergroups.py`. Slack's documented Block Kit rules plug in as
`rules(method, body) -> list[str]` (the sandbox passes `bot.sandbox.slack_rules.violations`): a
refused call answers `invalid_arguments`, a refused POST to a response URL HTTP 400 `invalid_blocks`,
and each problem is kept in `problems`.

    slack = SlackSim(token="xoxb-sandbox")
    slack.add_user("U1", "alice", "alice@example.com", tz="Europe/Berlin", admin=True)
    server = LoopbackServer(slack.handle).start(); slack.base_url = server.url
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from bot.sandbox.provider import SimRequest, SimResponse
from bot.sandbox.slack_rules import VIEW_METHODS, decode
from bot.sandbox.slack_usergroups import METHODS as USERGROUP_METHODS
from bot.sandbox.slack_usergroups import Usergroups

Rules = Callable[[str, dict], list[str]]


@dataclass
class Surface:
    """Something a person sees: kind is channel | dm | ephemeral | modal | home."""

    id: str
    kind: str
    audience: str | None  # who sees it; None: everyone in `channel`
    channel: str | None
    payload: dict  # a message ({"text", "blocks"}) or a view
    thread_ts: str | None = None
    closed: bool = False


@dataclass(frozen=True)
class Event:
    seq: int
    what: str  # new | updated | closed
    surface: Surface
    payload: dict  # the payload at that moment


@dataclass
class ResponseUrl:
    user: str
    channel: str | None
    source: str | None  # the surface the interaction came from (replace_original)
    uses: int = 0


@dataclass
class SlackSim:
    token: str = "xoxb-sandbox"
    team_id: str = "T1"
    bot_user_id: str = "UBOT"
    rules: Rules | None = None
    base_url: str = ""  # where this simulator is served (for response_urls)
    users: dict[str, dict] = field(default_factory=dict)
    channels: dict[str, dict] = field(default_factory=dict)
    surfaces: dict[str, Surface] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    calls: list[tuple[str, dict]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._triggers: dict[str, str] = {}  # trigger id -> user (unused ones)
        self._response_urls: dict[str, ResponseUrl] = {}
        self._modals: dict[str, list[str]] = {}  # user -> stack of open modal ids
        self.usergroups = Usergroups(self.team_id, users=lambda: self.users,
                                     channel_names=lambda: {c["name"] for c in self.channels.values()})
        self.last_call = time.monotonic()

    # ------------------------------------------------------------ the workspace

    def add_user(self, user_id: str, name: str, email: str, *, tz: str = "UTC", admin: bool = False,
                 real_name: str | None = None) -> dict:
        real = real_name or name.title()
        self.users[user_id] = {
            "id": user_id, "team_id": self.team_id, "name": name, "real_name": real, "deleted": False,
            "is_bot": False, "is_admin": admin, "is_owner": admin, "tz": tz, "tz_label": tz,
            "profile": {"email": email, "real_name": real, "display_name": name}}
        return self.users[user_id]

    def add_channel(self, channel_id: str, name: str) -> None:
        self.channels[channel_id] = {"id": channel_id, "name": name, "is_channel": True,
                                     "is_private": channel_id.startswith("G"), "is_member": True}

    def user_id(self, ref: str) -> str | None:
        """`alice`, `@alice`, `U1` or an email → the user id."""
        ref = ref.strip().lstrip("@").lower()
        for uid, u in self.users.items():
            if ref in (uid.lower(), u["name"].lower(), (u["profile"]["email"] or "").lower()):
                return uid
        return None

    def channel_id(self, ref: str) -> str | None:
        ref = ref.strip().lstrip("#").lower()
        return next((cid for cid, c in self.channels.items() if ref in (cid.lower(), c["name"].lower())), None)

    def name_of(self, user_id: str) -> str:
        return self.users[user_id]["name"] if user_id in self.users else user_id

    # ------------------------------------------------------------ what a person starts

    def new_trigger(self, user: str) -> str:
        with self._lock:
            trigger = f"{next(self._ids)}.{int(time.time())}.trigger"
            self._triggers[trigger] = user
            return trigger

    def new_response_url(self, user: str, channel: str | None, source: str | None = None) -> str:
        with self._lock:
            rid = f"R{next(self._ids):05d}"
            self._response_urls[rid] = ResponseUrl(user, channel, source)
        return f"{self.base_url}/response/{rid}"

    def open_modal(self, user: str) -> Surface | None:
        with self._lock:
            stack = self._modals.get(user) or []
            return self.surfaces[stack[-1]] if stack else None

    def close_modals(self, user: str, *, all_: bool = False) -> None:
        with self._lock:
            stack = self._modals.get(user) or []
            for view_id in (list(stack) if all_ else stack[-1:]):
                stack.remove(view_id)
                self._emit("closed", self.surfaces[view_id])

    def replace_modal(self, view_id: str, view: dict) -> None:
        """`response_action: update` from a view submission."""
        with self._lock:
            self._update(self.surfaces[view_id], {**view, "id": view_id})

    def push_modal(self, user: str, view: dict) -> None:
        with self._lock:
            self._new_modal(user, view)

    def reply(self, user: str, channel: str | None, message: dict) -> None:
        """An answer the bot gave in the HTTP response of a slash command (shown to that person only)."""
        with self._lock:
            self._add("ephemeral", user, channel, _message(message))

    def visible(self, user: str) -> list[Surface]:
        """What `user` can see, newest first."""
        with self._lock:
            return [s for s in reversed(self.surfaces.values())
                    if not s.closed and (s.audience == user or (s.audience is None and s.kind == "channel"))]

    def wait_quiet(self, quiet: float = 0.6, timeout: float = 20.0) -> None:
        """Block until no Web API call arrived for `quiet` seconds (the bot works after its ack)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = quiet - (time.monotonic() - self.last_call)
            if left <= 0:
                return
            time.sleep(min(left, 0.1))

    def wait_for(self, check: Callable[[], Any], timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = check()
                if found or time.monotonic() >= deadline:
                    return found
                self._lock.wait(min(0.2, max(deadline - time.monotonic(), 0.01)))

    # ------------------------------------------------------------ serving

    def handle(self, request: SimRequest) -> SimResponse:
        body = _parse(request)
        if request.path.startswith("/response/"):
            if self.refused("response_url", body):
                return SimResponse(400, {"ok": False, "error": "invalid_blocks"})
            return SimResponse(200, None) if self._respond(request.path.rsplit("/", 1)[-1], body) else \
                SimResponse(404, {"ok": False, "error": "expired_url"})
        method = request.path.removeprefix("/api/").strip("/")
        with self._lock:
            self.calls.append((method, body))
            self.last_call = time.monotonic()
        if request.headers.get("authorization") != f"Bearer {self.token}" and body.get("token") != self.token:
            return SimResponse(200, {"ok": False, "error": "invalid_auth"})
        problems = self.refused(method, body)
        if problems:
            return SimResponse(200, {"ok": False, "error": "invalid_arguments",
                                     "response_metadata": {"messages": problems}})
        with self._lock:
            answer = self._method(method, body)
            self._lock.notify_all()
        return SimResponse(200, answer)

    def refused(self, method: str, body: dict) -> list[str]:
        """What the rules refuse in `body` for `method` (also `response_url`, `ack`), kept in `problems`."""
        problems = self.rules(method, body) if self.rules else []
        if problems:
            with self._lock:
                self.problems.extend(f"{method}: {p}" for p in problems)
        return problems

    def _method(self, method: str, body: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "team_id": self.team_id, "team": "Sandbox", "user_id": self.bot_user_id,
                    "bot_id": "BSANDBOX", "user": "oncall", "url": "https://sandbox.slack.invalid/"}
        if method == "users.info":
            user = self.users.get(body.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "users.lookupByEmail":
            uid = self.user_id(body.get("email") or "") if "@" in (body.get("email") or "") else None
            return {"ok": True, "user": self.users[uid]} if uid else {"ok": False, "error": "users_not_found"}
        if method == "users.list":
            return {"ok": True, "members": list(self.users.values()), "response_metadata": {"next_cursor": ""}}
        if method == "conversations.info":
            channel = self.channels.get(body.get("channel", ""))
            return {"ok": True, "channel": channel} if channel else {"ok": False, "error": "channel_not_found"}
        if method == "conversations.open":
            users = str(body.get("users", "")).split(",")
            return {"ok": True, "channel": {"id": "D" + users[0]}}
        if method == "chat.postMessage":
            return self._post(body)
        if method == "chat.postEphemeral":
            user, channel = body.get("user"), body.get("channel")
            if user not in self.users:
                return {"ok": False, "error": "user_not_found"}
            surface = self._add("ephemeral", user, channel, _message(body))
            return {"ok": True, "message_ts": surface.id}
        if method == "chat.update":
            surface = self.surfaces.get(body.get("ts", ""))
            if surface is None or surface.kind not in ("channel", "dm"):
                return {"ok": False, "error": "message_not_found"}
            self._update(surface, _message(body))
            return {"ok": True, "channel": body.get("channel"), "ts": surface.id}
        if method in VIEW_METHODS:
            return self._view(method, body)
        if method in USERGROUP_METHODS:  # the rules: bot/sandbox/slack_usergroups.py
            return self.usergroups.handle(method, body)
        return {"ok": False, "error": "unknown_method"}

    def _post(self, body: dict) -> dict:
        channel = body.get("channel") or ""
        if channel.startswith("D"):
            channel = channel[1:]
        if channel in self.users:
            surface = self._add("dm", channel, "D" + channel, _message(body))
        elif channel in self.channels:
            surface = self._add("channel", None, channel, _message(body), thread_ts=body.get("thread_ts"))
        else:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": surface.channel, "ts": surface.id,
                "message": {**surface.payload, "ts": surface.id}}

    def _view(self, method: str, body: dict) -> dict:
        view = body.get("view") or {}
        if method == "views.publish":
            user = body.get("user_id")
            if user not in self.users:
                return {"ok": False, "error": "user_not_found"}
            home = next((s for s in self.surfaces.values() if s.kind == "home" and s.audience == user), None)
            if home is None:
                home = self._add("home", user, None, {**view, "id": f"VH{user}"}, sid=f"VH{user}")
            else:
                self._update(home, {**view, "id": home.id})
            return {"ok": True, "view": home.payload}
        if method == "views.update":
            ref = body.get("view_id") or body.get("external_id")
            if not ref:
                return {"ok": False, "error": "invalid_arguments",
                        "response_metadata": {"messages": ["views.update needs view_id or external_id"]}}
            surface = self.surfaces.get(ref) or next(
                (s for s in self.surfaces.values() if s.payload.get("external_id") == ref), None)
            if surface is None or surface.closed:
                return {"ok": False, "error": "not_found"}
            self._update(surface, {**view, "id": surface.id})
            return {"ok": True, "view": surface.payload}
        user = self._triggers.pop(body.get("trigger_id") or "", None)
        if user is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if method == "views.push" and not self._modals.get(user):
            return {"ok": False, "error": "not_found"}
        if method == "views.open":
            self.close_modals(user, all_=True)
        surface = self._new_modal(user, view)
        return {"ok": True, "view": surface.payload}

    def _new_modal(self, user: str, view: dict) -> Surface:
        view_id = f"V{next(self._ids):05d}"
        surface = self._add("modal", user, None, {**view, "id": view_id, "state": {"values": {}}}, sid=view_id)
        self._modals.setdefault(user, []).append(view_id)
        return surface

    def _respond(self, rid: str, body: dict) -> bool:
        with self._lock:
            ref = self._response_urls.get(rid)
            if ref is None or ref.uses >= 5:
                return False
            ref.uses += 1
            self.calls.append(("response_url", body))
            self.last_call = time.monotonic()
            source = self.surfaces.get(ref.source) if ref.source else None
            if source is not None and (body.get("delete_original") in (True, "true")):
                source.closed = True
                self._emit("closed", source)
            elif source is not None and body.get("replace_original") in (True, "true"):
                self._update(source, _message(body))
            elif body.get("response_type") == "in_channel" and ref.channel in self.channels:
                self._add("channel", None, ref.channel, _message(body))
            else:
                self._add("ephemeral", ref.user, ref.channel, _message(body))
            self._lock.notify_all()
        return True

    # ------------------------------------------------------------ surfaces

    def _add(self, kind: str, audience: str | None, channel: str | None, payload: dict, *,
             sid: str | None = None, thread_ts: str | None = None) -> Surface:
        sid = sid or f"{time.time():.0f}.{next(self._ids):06d}"
        surface = Surface(sid, kind, audience, channel, payload, thread_ts)
        self.surfaces[sid] = surface
        self._emit("new", surface)
        return surface

    def _update(self, surface: Surface, payload: dict) -> None:
        surface.payload = payload
        surface.closed = False
        self._emit("updated", surface)

    def _emit(self, what: str, surface: Surface) -> None:
        if what == "closed":
            surface.closed = True
        self.events.append(Event(len(self.events) + 1, what, surface, surface.payload))


def _message(body: dict) -> dict:
    return {"text": body.get("text") or "", "blocks": body.get("blocks") or []}


def _parse(request: SimRequest) -> dict:
    raw = request.body.decode(errors="replace")
    if "json" in request.headers.get("content-type", ""):
        try:
            body = json.loads(raw or "{}")
        except ValueError:
            body = {"_raw": raw}
    else:
        body = {k: v[0] for k, v in parse_qs(raw).items()}
    return decode(body)
