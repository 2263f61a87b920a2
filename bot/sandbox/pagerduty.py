"""A PagerDuty REST v2 account as far as the bot uses it (`/schedules*`, `/users*`).

Schedules carry one layer (the simulated base rotation); `GET /schedules/{id}?since&until` renders
the final schedule (newest override wins) and the overrides sub-schedule; overrides are created in bulk and answered per item;
deleting one in progress truncates it (200), a future one is deleted (204), an ended one is refused.
Lists page with `limit` (≤ 100) / `offset` / `more`. 429 carries `ratelimit-reset` when asked to.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.providers.base import InvalidRequest, OverrideRequest
from bot.providers.timefmt import iso, parse
from bot.sandbox.provider import Fault, ProviderSchedule, ProviderSim, SimRequest, SimResponse, page
from bot.sandbox.shapes import pd_entry, pd_error, pd_layer, pd_override, pd_schedule, pd_user

_SCHEDULE = re.compile(r"^/schedules/(?P<sid>[^/]+)(?P<rest>/overrides(/(?P<oid>[^/]+))?)?$")
_USER = re.compile(r"^/users/(?P<uid>[^/]+)$")


class PagerDutySim(ProviderSim):
    name = "PagerDuty"

    def __init__(self, **kw):
        super().__init__(aliases_as_ids=False, **kw)

    def api_key(self, authorization: str) -> str:
        return authorization.removeprefix("Token token=")

    def error(self, status: int, message: str) -> SimResponse:
        code = {401: 2006, 403: 2010, 404: 2100, 429: 2020}.get(status, 2001 if status < 500 else 2999)
        return SimResponse(status, pd_error(code, message))

    def fault_response(self, fault: Fault) -> SimResponse:
        if fault.status == 429:
            response = self.error(429, "Rate Limit Exceeded")
            if fault.reset is not None:
                response.headers["ratelimit-reset"] = str(int(fault.reset))
            return response
        return self.error(fault.status, "Internal Server Error" if fault.status >= 500 else "Error")

    def route(self, request: SimRequest) -> SimResponse:
        path, method = request.path.rstrip("/") or "/", request.method
        if path == "/users" and method == "GET":
            users, meta = page([pd_user(u, n, e) for u, (n, e) in self.users.items()], request)
            return SimResponse(200, {"users": users, **meta})
        if (m := _USER.match(path)) and method == "GET":
            uid = m["uid"]
            if uid not in self.users:
                return self.error(404, "Not Found")
            return SimResponse(200, {"user": pd_user(uid, *self.users[uid])})
        if path == "/schedules" and method == "GET":
            schedules, meta = page([self.raw_schedule(s) for s in self.schedules.values()], request)
            return SimResponse(200, {"schedules": schedules, **meta})
        if path == "/schedules/preview" and method == "POST":
            return self._preview(request)
        m = _SCHEDULE.match(path)
        schedule = self.schedules.get(m["sid"]) if m else None
        if schedule is None:
            return self.error(404, "Not Found")
        if not m["rest"] and method == "GET":
            return self._schedule(schedule, request)
        if m["rest"] and not m["oid"]:
            if method == "GET":
                return self._overrides(schedule, request)
            if method == "POST":
                return self._create(schedule, request)
        if m["oid"] and method == "DELETE":
            return self._delete(schedule, m["oid"])
        return self.error(404, "Not Found")

    # ------------------------------------------------------------ endpoints

    def raw_schedule(self, schedule: ProviderSchedule) -> dict:
        rotation = schedule.sim.rotation
        layer = pd_layer("L1", [(u, self.user_name(u)) for u in rotation.users], start=iso(rotation.origin),
                         turn=int(rotation.turn.total_seconds()))
        return pd_schedule(schedule.id, schedule.name, layers=[layer], time_zone=schedule.time_zone)

    def _schedule(self, schedule: ProviderSchedule, request: SimRequest) -> SimResponse:
        raw = self.raw_schedule(schedule)
        if request.param("since"):
            since = parse(request.param("since"))
            until = parse(request.param("until")) if request.param("until") else since + timedelta(days=7)
            raw["final_schedule"] = {
                "name": "Final Schedule", "rendered_coverage_percentage": 100,
                "rendered_schedule_entries": [pd_entry(r.user_id, self.user_name(r.user_id), iso(r.start), iso(r.end))
                                              for r in schedule.sim.rendered(since, until)]}
            raw["overrides_subschedule"] = {
                "name": "Overrides",
                "rendered_schedule_entries": [pd_entry(r.user_id, self.user_name(r.user_id), iso(r.start), iso(r.end))
                                              for r in schedule.sim.override_layer(since, until)]}
        return SimResponse(200, {"schedule": raw})

    def _preview(self, request: SimRequest) -> SimResponse:
        body = request.json() or {}
        schedule = body.get("schedule") or {}
        return SimResponse(200, {"schedule": {**schedule, "id": None, "final_schedule": {
            "name": "Final Schedule", "rendered_schedule_entries": [], "rendered_coverage_percentage": 0}}})

    def _overrides(self, schedule: ProviderSchedule, request: SimRequest) -> SimResponse:
        if not request.param("since") or not request.param("until"):
            return self.error(400, "since and until are required")
        since, until = parse(request.param("since")), parse(request.param("until"))
        found = [pd_override(o.id, o.user_id, iso(o.start), iso(o.end), self.user_name(o.user_id))
                 for o in sorted(schedule.sim.overrides.values(), key=lambda o: (o.start, o.seq))
                 if o.start < until and o.end > since]
        return SimResponse(200, {"overrides": found})

    def _create(self, schedule: ProviderSchedule, request: SimRequest) -> SimResponse:
        items = []
        for raw in (request.json() or {}).get("overrides") or []:
            uid = (raw.get("user") or {}).get("id")
            if uid not in self.users:
                items.append({"status": 400, "errors": [f"User {uid} not found"], "override": raw})
                continue
            try:
                o = schedule.sim.create(OverrideRequest(uid, parse(raw["start"]), parse(raw["end"]), "unused"))
            except InvalidRequest as exc:
                items.append({"status": 400, "errors": [str(exc)], "override": raw})
                continue
            items.append({"status": 201, "override": pd_override(o.id, uid, iso(o.start), iso(o.end),
                                                                 self.user_name(uid))})
        return SimResponse(201, items)

    def _delete(self, schedule: ProviderSchedule, override_id: str) -> SimResponse:
        outcome = schedule.sim.delete(override_id).value
        if outcome == "missing":
            return self.error(404, "Not Found")
        if outcome == "past":
            return self.error(400, "Cannot delete an override in the past")
        return SimResponse(200 if outcome == "truncated" else 204)
