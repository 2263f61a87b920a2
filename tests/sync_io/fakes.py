"""Stateful PagerDuty and Opsgenie schedules on respx, backed by `tests.sync.sim.SimSchedule`.

Routes answer like the real APIs as far as the sync uses them (overrides list/create/delete,
the rendered final schedule / timeline, the user list), on the public base URLs, so the
`conformant_respx` fixture checks every request against the official specs. The schedule itself
(list and single read: what connecting and linking use) shows the simulated base rotation, so a
schedule linked from the fake is cut the way the fake pages; PagerDuty also answers the
per-user reads and the write check (`POST /schedules/preview`).

    pd = FakePagerDuty(conformant_respx, clock)
    pd.hand_override("PU3", start, end)
    pd.requests("POST")          # what the bot sent
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from bot.providers.base import OverrideRequest
from bot.providers.timefmt import iso, parse
from tests.providers.fixtures import (
    og_envelope,
    og_error,
    og_override,
    og_participant,
    og_period,
    og_rotation,
    og_schedule,
    og_timeline,
    pd_entry,
    pd_error,
    pd_layer,
    pd_override,
    pd_schedule,
    pd_user,
    pd_users_page,
)
from tests.sync.sim import Rotation, SimSchedule

PD = "https://api.pagerduty.com"
OG = "https://api.opsgenie.com"
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday


class _Fake:
    base: str

    def __init__(self, router, clock: Callable[[], datetime], schedule_id: str, users: dict[str, tuple[str, str]],
                 *, aliases_as_ids: bool, delay: float = 0.0, time_zone: str = "UTC",
                 origin: datetime = T0 - timedelta(days=70)):
        self.clock = clock
        self.schedule_id = schedule_id
        self.users = users
        self.delay = delay
        self.time_zone = time_zone  # the schedule's zone as the provider reports it (the rotation steps in UTC)
        self.sim = SimSchedule(Rotation(origin, timedelta(days=7), tuple(users)), clock(),
                               aliases_as_ids=aliases_as_ids)
        self.log: list[httpx.Request] = []
        self.fail: Callable[[httpx.Request], httpx.Response | None] | None = None
        self._lock = threading.Lock()
        self.router = router

    def _enter(self, request: httpx.Request) -> httpx.Response | None:
        if self.delay:
            time.sleep(self.delay)  # a slow provider (the concurrency test)
        with self._lock:
            self.log.append(request)
            self.sim.now = self.clock()
        return self.fail(request) if self.fail else None

    def requests(self, method: str | None = None, contains: str = "") -> list[httpx.Request]:
        return [r for r in self.log if (method is None or r.method == method) and contains in r.url.path]

    def writes(self) -> list[httpx.Request]:
        return [r for r in self.log if r.method in ("POST", "DELETE")]

    def hand_override(self, user_id: str, start: datetime, end: datetime) -> str:
        return self.sim.hand_override(user_id, start, end)

    def who(self, t: datetime) -> str:
        return self.sim.who(t)

    def live(self):
        self.sim.now = self.clock()
        return sorted(self.sim.live(), key=lambda o: o.start)

    def _wrap(self, handler):
        def route(request: httpx.Request) -> httpx.Response:
            failed = self._enter(request)
            if failed is not None:
                return failed
            with self._lock:
                return handler(request)

        return route


class FakePagerDuty(_Fake):
    base = PD

    def __init__(self, router, clock, *, schedule_id: str = "PSCHED1", users=None, delay: float = 0.0, **kw):
        users = users or {"PU1": ("Alice Adams", "alice@example.com"), "PU2": ("Bob Brown", "bob@example.com"),
                          "PU3": ("Carol Chen", "carol@example.com")}
        super().__init__(router, clock, schedule_id, users, aliases_as_ids=False, delay=delay, **kw)
        sid = re.escape(schedule_id)
        router.get(url__regex=rf"^{PD}/schedules/{sid}/overrides(\?.*)?$").mock(side_effect=self._wrap(self._list))
        router.post(url__regex=rf"^{PD}/schedules/{sid}/overrides$").mock(side_effect=self._wrap(self._create))
        router.delete(url__regex=rf"^{PD}/schedules/{sid}/overrides/[^/?]+$").mock(side_effect=self._wrap(self._delete))
        router.get(url__regex=rf"^{PD}/schedules/{sid}(\?.*)?$").mock(side_effect=self._wrap(self._schedule))
        router.get(url__regex=rf"^{PD}/schedules(\?.*)?$").mock(side_effect=self._wrap(self._schedules))
        router.post(url__regex=rf"^{PD}/schedules/preview(\?.*)?$").mock(side_effect=self._wrap(self._preview))
        router.get(url__regex=rf"^{PD}/users/[^/?]+$").mock(side_effect=self._wrap(self._user))
        router.get(url__regex=rf"^{PD}/users(\?.*)?$").mock(side_effect=self._wrap(self._users))

    def _list(self, request: httpx.Request) -> httpx.Response:
        since, until = parse(request.url.params["since"]), parse(request.url.params["until"])
        found = [pd_override(o.id, o.user_id, iso(o.start), iso(o.end), self.users[o.user_id][0])
                 for o in self.sim.overrides.values() if o.start < until and o.end > since]
        return httpx.Response(200, json={"overrides": found})

    def _create(self, request: httpx.Request) -> httpx.Response:
        items = []
        for raw in json.loads(request.content)["overrides"]:
            uid = raw["user"]["id"]
            o = self.sim.create(OverrideRequest(uid, parse(raw["start"]), parse(raw["end"]), "unused"))
            items.append({"status": 201, "override": pd_override(o.id, uid, iso(o.start), iso(o.end),
                                                                 self.users[uid][0])})
        return httpx.Response(201, json=items)

    def _delete(self, request: httpx.Request) -> httpx.Response:
        outcome = self.sim.delete(request.url.path.rsplit("/", 1)[-1])
        if outcome.value == "missing":
            return httpx.Response(404, json=pd_error(2100, "Not Found"))
        if outcome.value == "past":
            return httpx.Response(400, json=pd_error(2001, "Cannot delete an override in the past"))
        return httpx.Response(200 if outcome.value == "truncated" else 204)

    def _raw_schedule(self) -> dict:
        rotation = self.sim.rotation
        layer = pd_layer("L1", [(u, self.users[u][0]) for u in rotation.users], start=iso(rotation.origin),
                         turn=int(rotation.turn.total_seconds()))
        return pd_schedule(self.schedule_id, "Platform primary", layers=[layer], time_zone=self.time_zone)

    def _schedules(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"schedules": [self._raw_schedule()], "limit": 100, "offset": 0,
                                         "more": False, "total": None})

    def _preview(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"schedule": self._raw_schedule()})

    def _user(self, request: httpx.Request) -> httpx.Response:
        uid = request.url.path.rsplit("/", 1)[-1]
        if uid not in self.users:
            return httpx.Response(404, json=pd_error(2100, "Not Found"))
        return httpx.Response(200, json={"user": pd_user(uid, *self.users[uid])})

    def _schedule(self, request: httpx.Request) -> httpx.Response:
        raw = self._raw_schedule()
        if "since" in request.url.params:
            since, until = parse(request.url.params["since"]), parse(request.url.params["until"])
            entries = [pd_entry(r.user_id, self.users[r.user_id][0], iso(r.start), iso(r.end))
                       for r in self.sim.rendered(since, until)]
            raw["final_schedule"] = {"name": "Final Schedule", "rendered_schedule_entries": entries,
                                     "rendered_coverage_percentage": 100}
        return httpx.Response(200, json={"schedule": raw})

    def _users(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pd_users_page([pd_user(u, n, e) for u, (n, e) in self.users.items()]))


class FakeOpsgenie(_Fake):
    base = OG

    def __init__(self, router, clock, *, schedule_id: str = "og-sched-1", users=None, delay: float = 0.0, **kw):
        users = users or {"og-u1": ("Alice Adams", "alice@example.com"), "og-u2": ("Bob Brown", "bob@example.com"),
                          "og-u3": ("Carol Chen", "carol@example.com")}
        super().__init__(router, clock, schedule_id, users, aliases_as_ids=True, delay=delay, **kw)
        sid = re.escape(schedule_id)
        base = rf"^{OG}/v2/schedules/{sid}"
        router.get(url__regex=base + r"/overrides(\?.*)?$").mock(side_effect=self._wrap(self._list))
        router.post(url__regex=base + r"/overrides(\?.*)?$").mock(side_effect=self._wrap(self._create))
        router.get(url__regex=base + r"/overrides/[^/?]+(\?.*)?$").mock(side_effect=self._wrap(self._get))
        router.delete(url__regex=base + r"/overrides/[^/?]+(\?.*)?$").mock(side_effect=self._wrap(self._delete))
        router.get(url__regex=base + r"/timeline(\?.*)?$").mock(side_effect=self._wrap(self._timeline))
        router.get(url__regex=base + r"(\?.*)?$").mock(side_effect=self._wrap(self._one))
        router.get(url__regex=rf"^{OG}/v2/schedules(\?.*)?$").mock(side_effect=self._wrap(self._schedules))

    def _raw(self, o) -> dict:
        return og_override(o.id, o.user_id, self.users[o.user_id][1], iso(o.start), iso(o.end))

    def _list(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=og_envelope([self._raw(o) for o in self.sim.overrides.values()]))

    def _create(self, request: httpx.Request) -> httpx.Response:
        raw = json.loads(request.content)
        if raw["user"]["type"] == "none":  # the bot's write probe (nobody, years ahead): accepted, not kept
            return httpx.Response(201, json=og_envelope({"alias": raw["alias"]}))
        req = OverrideRequest(raw["user"]["id"], parse(raw["startDate"]), parse(raw["endDate"]), raw["alias"])
        if req.alias in self.sim.overrides:
            return httpx.Response(409, json=og_error("Alias already exists"))
        self.sim.create(req)
        return httpx.Response(201, json=og_envelope({"alias": req.alias}))

    def _get(self, request: httpx.Request) -> httpx.Response:
        o = self.sim.overrides.get(request.url.path.rsplit("/", 1)[-1])
        if o is None:
            return httpx.Response(404, json=og_error("Override not found"))
        return httpx.Response(200, json=og_envelope(self._raw(o)))

    def _delete(self, request: httpx.Request) -> httpx.Response:
        outcome = self.sim.delete(request.url.path.rsplit("/", 1)[-1])
        if outcome.value == "missing":
            return httpx.Response(404, json=og_error("Override not found"))
        if outcome.value == "past":
            return httpx.Response(400, json=og_error("Cannot delete an override in the past"))
        return httpx.Response(200, json={"result": "Deleted", "took": 0.01, "requestId": "r"})

    def _timeline(self, request: httpx.Request) -> httpx.Response:
        since = parse(request.url.params["date"])
        until = since + timedelta(days=int(request.url.params["interval"]))
        periods = [og_period(r.user_id, self.users[r.user_id][1], iso(r.start), iso(r.end))
                   for r in self.sim.rendered(since, until)]
        return httpx.Response(200, json=og_envelope(og_timeline(self.schedule_id, iso(since), iso(until), periods)))

    def _raw_schedule(self) -> dict:
        rotation = self.sim.rotation
        participants = [og_participant(u, self.users[u][1]) for u in rotation.users]
        raw = og_rotation("rot1", participants, start=iso(rotation.origin), length=rotation.turn // timedelta(days=7))
        return {**og_schedule(self.schedule_id, rotations=[raw]), "timezone": self.time_zone}

    def _schedules(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=og_envelope([self._raw_schedule()], expandable=True))

    def _one(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=og_envelope(self._raw_schedule()))
