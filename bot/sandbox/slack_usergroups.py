"""Slack's user groups of one workspace, as the `usergroups.*` Web API methods see them: the state
and the rules the Slack simulator (`bot/sandbox/slack_api.py`) and the tests' stub
(`tests/slack/stub.py`) share, so both refuse what Slack refuses.

The rules and where Slack documents them (checked on 2026-12-05):

- `usergroups.users.update` replaces the whole member list with `users`, "a comma separated string
  of encoded user IDs" (JSON bodies may send an array); "You cannot use this method to remove all
  members from a user group. Instead, use the usergroups.disable method": an empty or missing
  `users` is `no_users_provided`, an id Slack does not know `invalid_users`; "Guests or bot users
  cannot be added to user groups; attempting to do so will result in an invalid_user error".
  https://docs.slack.dev/reference/methods/usergroups.users.update (errors table:
  `no_users_provided`, `invalid_users`, `permission_denied`, `plan_upgrade_required`)
- Managing groups depends on the workspace's settings ("Tools & settings > Workspace settings >
  Permissions > User Groups"): otherwise "you will receive a permission_denied error", and "A bot
  token can be used only if permissions are set to everyone". User groups need a paid plan
  (`plan_upgrade_required`: "only available on Standard and above plans").
  https://docs.slack.dev/reference/methods/usergroups.users.update ,
  https://docs.slack.dev/reference/methods/usergroups.create
- `usergroups.create`: `name` is required and "Must be unique among User Groups"; `handle` "Must be
  unique among channels, users and User Groups"; a clash answers `name_already_exists` /
  `handle_already_exists`, also against a disabled group (which `usergroups.enable` brings back).
  ../shared/specs/slack/slack_web_openapi_v2_without_examples.json (`/usergroups.create`)
- `usergroups.list` leaves disabled groups out unless `include_disabled`, and their members out
  unless `include_users`; a disabled group has a non-zero `date_delete`.
  ../shared/specs/slack/slack_web_openapi_v2_without_examples.json (`/usergroups.list`)
- An unknown group id answers `no_such_subteam`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

METHODS = frozenset({"usergroups.list", "usergroups.create", "usergroups.enable", "usergroups.disable",
                     "usergroups.users.update", "usergroups.users.list"})
WRITES = frozenset({"usergroups.create", "usergroups.enable", "usergroups.disable", "usergroups.users.update"})


def _flag(value: Any) -> bool:
    return value in (True, "true", "1", 1)


def user_list(value: Any) -> list[str]:
    """`users` as Slack reads it: a comma separated string (spaces around commas allowed) or an array."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(u).strip() for u in items if str(u).strip()]


@dataclass
class Usergroups:
    """The groups of one workspace. `users()` gives the workspace's people (id -> Slack user object);
    `restricted` is the error every write answers (e.g. "permission_denied": only admins may manage
    user groups; "plan_upgrade_required": a free workspace)."""

    team_id: str = "T1"
    users: Callable[[], Mapping[str, dict]] = dict
    channel_names: Callable[[], set[str]] = set
    restricted: str | None = None
    groups: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def add(self, name: str, handle: str, *, users: tuple[str, ...] = (), disabled: bool = False) -> dict:
        """A group that exists before the bot looks (someone made it by hand)."""
        with self._lock:
            return self._new(name, handle, list(users), disabled=disabled)

    def members(self, group_id: str) -> list[str]:
        return list(self.groups[group_id]["users"])

    def by_handle(self, handle: str) -> dict | None:
        return next((g for g in self.groups.values() if g["handle"] == handle), None)

    def handle(self, method: str, body: dict) -> dict:
        with self._lock:
            if method in WRITES and self.restricted:
                return _error(self.restricted)
            return getattr(self, "_" + method.removeprefix("usergroups.").replace(".", "_"))(body)

    # ------------------------------------------------------------ methods

    def _list(self, body: dict) -> dict:
        shown = [g for g in self.groups.values() if _flag(body.get("include_disabled")) or not g["date_delete"]]
        with_users = _flag(body.get("include_users"))
        return {"ok": True, "usergroups": [self._public(g, with_users) for g in shown]}

    def _create(self, body: dict) -> dict:
        name, handle = str(body.get("name") or "").strip(), str(body.get("handle") or "").strip()
        if not name:
            return _error("missing_argument")
        if any(g["name"].lower() == name.lower() for g in self.groups.values()):
            return _error("name_already_exists")
        if handle and (any(g["handle"] == handle for g in self.groups.values())
                       or handle in {u.get("name") for u in self.users().values()}
                       or handle in self.channel_names()):
            return _error("handle_already_exists")
        group = self._new(name, handle or name.lower().replace(" ", "-"), [], description=body.get("description"))
        return {"ok": True, "usergroup": self._public(group, True)}

    def _enable(self, body: dict) -> dict:
        return self._switch(body, 0)

    def _disable(self, body: dict) -> dict:
        return self._switch(body, int(time.time()))

    def _switch(self, body: dict, date_delete: int) -> dict:
        group = self.groups.get(str(body.get("usergroup") or ""))
        if group is None:
            return _error("no_such_subteam")
        group["date_delete"] = date_delete
        return {"ok": True, "usergroup": self._public(group, True)}

    def _users_update(self, body: dict) -> dict:
        group = self.groups.get(str(body.get("usergroup") or ""))
        if group is None:
            return _error("no_such_subteam")
        ids = user_list(body.get("users"))
        if not ids:
            return _error("no_users_provided")
        people = self.users()
        if any(u not in people or people[u].get("deleted") for u in ids):
            return _error("invalid_users")
        if any(people[u].get("is_bot") or people[u].get("is_restricted") for u in ids):
            return _error("invalid_user")
        group["users"] = list(dict.fromkeys(ids))
        group["date_update"] = int(time.time())
        return {"ok": True, "usergroup": self._public(group, True)}

    def _users_list(self, body: dict) -> dict:
        group = self.groups.get(str(body.get("usergroup") or ""))
        if group is None or (group["date_delete"] and not _flag(body.get("include_disabled"))):
            return _error("no_such_subteam")
        return {"ok": True, "users": list(group["users"])}

    # ------------------------------------------------------------ helpers

    def _new(self, name: str, handle: str, users: list[str], *, disabled: bool = False,
             description: Any = None) -> dict:
        group_id = f"S{next(self._ids):08d}"
        now = int(time.time())
        self.groups[group_id] = {
            "id": group_id, "team_id": self.team_id, "is_usergroup": True, "name": name, "handle": handle,
            "description": str(description or ""), "date_create": now, "date_update": now,
            "date_delete": now if disabled else 0, "users": list(users)}
        return self.groups[group_id]

    @staticmethod
    def _public(group: dict, with_users: bool) -> dict:
        shown = {k: v for k, v in group.items() if k != "users"}
        shown["user_count"] = len(group["users"])
        if with_users:
            shown["users"] = list(group["users"])
        return shown


def _error(code: str) -> dict:
    return {"ok": False, "error": code}
