"""What the PagerDuty and Opsgenie simulators share: requests and responses without a web framework,
the account (users, schedules, API keys) and the misbehaviour a test or the sandbox asks for.

    pd = PagerDutySim(keys={"rw-key": "rw", "ro-key": "ro"})
    pd.add_schedule("PSCHED1", "Platform", "Europe/Berlin", Rotation(origin, timedelta(days=7), ("PU1", "PU2")))
    pd.fail(503, times=2)                 # the next two requests answer 503
    pd.fail(429, reset=1)                 # throttled, with the provider's reset header
    pd.latency = 0.2                      # every answer waits 200 ms
    pd.handle(SimRequest("GET", "/schedules", {}, {"authorization": "Token token=rw-key"}))

A request is answered in this order: 401 for a key the account does not know, 400 when the optional
`check` (e.g. a validator built from the official API description) finds problems (kept in
`problems`), an injected fault, 403 for a write with a read-only key, then the endpoint.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.sandbox.schedule import Rotation, SimSchedule

WRITES = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class SimRequest:
    method: str
    path: str
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @classmethod
    def from_target(cls, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> SimRequest:
        """From an HTTP request line target such as `/schedules?limit=1`."""
        parts = urlsplit(target)
        return cls(method.upper(), parts.path, parse_qs(parts.query, keep_blank_values=True),
                   {k.lower(): v for k, v in headers.items()}, body)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def is_write(self) -> bool:
        return self.method in WRITES


@dataclass
class SimResponse:
    status: int
    body: Any = None  # JSON-able, or None for an empty body
    headers: dict[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode()


@dataclass
class Fault:
    status: int
    times: int = 1
    writes_only: bool = False
    reset: float | None = None  # seconds, sent in the provider's rate-limit header (429)


@dataclass
class ProviderSchedule:
    id: str
    name: str
    time_zone: str
    sim: SimSchedule


def utcnow() -> datetime:
    return datetime.now(UTC)


class ProviderSim:
    """One provider account (see the module docstring); subclasses route the endpoints."""

    name = "provider"

    def __init__(self, *, clock: Callable[[], datetime] = utcnow, keys: Mapping[str, str] | None = None,
                 users: dict[str, tuple[str, str]] | None = None, aliases_as_ids: bool = False,
                 check: Callable[[SimRequest], list[str]] | None = None):
        """`keys`: API key → "rw" or "ro"; None accepts any key. `users`: id → (name, email)."""
        self.clock = clock
        self.keys = dict(keys) if keys is not None else None
        self.users: dict[str, tuple[str, str]] = dict(users or {})
        self.aliases_as_ids = aliases_as_ids
        self.check = check
        self.schedules: dict[str, ProviderSchedule] = {}
        self.latency = 0.0
        self.faults: list[Fault] = []
        self.log: list[SimRequest] = []
        self.problems: list[str] = []
        self.lock = threading.RLock()

    # ------------------------------------------------------------ the account

    def add_schedule(self, schedule_id: str, name: str, time_zone: str, rotation: Rotation) -> SimSchedule:
        sim = SimSchedule(rotation, self.clock(), aliases_as_ids=self.aliases_as_ids)
        self.schedules[schedule_id] = ProviderSchedule(schedule_id, name, time_zone, sim)
        return sim

    def schedule(self, ref: str) -> ProviderSchedule | None:
        """By id, else by name (case-insensitive)."""
        if ref in self.schedules:
            return self.schedules[ref]
        return next((s for s in self.schedules.values() if s.name.lower() == ref.lower()), None)

    def user_name(self, user_id: str) -> str:
        return self.users.get(user_id, (user_id, ""))[0]

    def user_email(self, user_id: str) -> str:
        return self.users.get(user_id, ("", f"{user_id}@unknown.invalid"))[1]

    def who(self, schedule: str, t: datetime) -> str:
        """The user id paged at `t`."""
        found = self.schedule(schedule)
        if found is None:
            raise KeyError(schedule)
        with self.lock:
            found.sim.now = self.clock()
            return found.sim.who(t)

    def hand_override(self, schedule: str, user_id: str, start: datetime, end: datetime) -> str:
        """Someone edits the provider by hand: a new (newest) override."""
        with self.lock:
            return self.schedule(schedule).sim.hand_override(user_id, start, end)

    def fail(self, status: int, *, times: int = 1, writes_only: bool = False, reset: float | None = None) -> None:
        with self.lock:
            self.faults.append(Fault(status, times, writes_only, reset))

    def recover(self) -> None:
        with self.lock:
            self.faults.clear()

    def writes(self) -> list[SimRequest]:
        with self.lock:
            return [r for r in self.log if r.is_write]

    # ------------------------------------------------------------ answering

    def handle(self, request: SimRequest) -> SimResponse:
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            self.log.append(request)
            now = self.clock()
            for s in self.schedules.values():
                s.sim.now = now
            key = self.api_key(request.headers.get("authorization", ""))
            if self.keys is not None and key not in self.keys:
                return self.error(401, "Invalid Credentials")
            problems = self.check(request) if self.check else []
            if problems:
                self.problems.extend(problems)
                return SimResponse(400, {"error": problems})
            fault = self._take_fault(request)
            if fault is not None:
                return self.fault_response(fault)
            if request.is_write and self.keys is not None and self.keys[key] != "rw" and self.guarded(request):
                return self.error(403, "Access Denied: this API key is read-only")
            return self.route(request)

    def _take_fault(self, request: SimRequest) -> Fault | None:
        for fault in self.faults:
            if fault.writes_only and not request.is_write:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            return fault
        return None

    def guarded(self, request: SimRequest) -> bool:
        """Whether a write needs a read-write key."""
        return True

    # provider specifics

    def api_key(self, authorization: str) -> str:
        raise NotImplementedError

    def error(self, status: int, message: str) -> SimResponse:
        raise NotImplementedError

    def fault_response(self, fault: Fault) -> SimResponse:
        raise NotImplementedError

    def route(self, request: SimRequest) -> SimResponse:
        raise NotImplementedError


def page(items: list, request: SimRequest, *, default_limit: int = 25, max_limit: int = 100) -> tuple[list, dict]:
    """Classic offset pagination: the slice and the `limit/offset/more/total` fields."""
    limit = min(max(int(request.param("limit") or default_limit), 1), max_limit)
    offset = max(int(request.param("offset") or 0), 0)
    chunk = items[offset:offset + limit]
    return chunk, {"limit": limit, "offset": offset, "more": offset + limit < len(items), "total": None}
