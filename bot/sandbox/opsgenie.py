"""An Opsgenie v2 account as far as the bot uses it: schedules (with their rotation), the timeline
(final = newest override wins over the rotation), and overrides addressed by the client's alias
(creating an existing alias answers 409). A read-only key gets 403 on writes; 429 carries
`X-RateLimit-Period-In-Sec` when asked to.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.providers.base import OverrideRequest
from bot.providers.timefmt import iso, parse
from bot.sandbox.provider import Fault, ProviderSchedule, ProviderSim, SimRequest, SimResponse
from bot.sandbox.schedule import SimOverride
from bot.sandbox.shapes import (
    og_envelope,
    og_error,
    og_override,
    og_participant,
    og_period,
    og_rotation,
    og_schedule,
)

_SCHEDULE = re.compile(r"^/v2/schedules/(?P<sid>[^/]+)(/(?P<part>timeline|overrides)(/(?P<alias>[^/]+))?)?$")
_UNITS = {"days": 1, "weeks": 7, "months": 31}


class OpsgenieSim(ProviderSim):
    name = "Opsgenie"

    def __init__(self, **kw):
        super().__init__(aliases_as_ids=True, **kw)
        self._nobody: set[tuple[str, str]] = set()  # (schedule id, alias) of overrides for nobody

    def api_key(self, authorization: str) -> str:
        return authorization.removeprefix("GenieKey ")

    def error(self, status: int, message: str) -> SimResponse:
        return SimResponse(status, og_error(message))

    def fault_response(self, fault: Fault) -> SimResponse:
        if fault.status == 429:
            response = self.error(429, "You are making too many requests! To avoid errors, slow down.")
            response.headers["X-RateLimit-State"] = "THROTTLED"
            if fault.reset is not None:
                response.headers["X-RateLimit-Period-In-Sec"] = str(int(fault.reset))
            return response
        return self.error(fault.status, "Internal Server Error" if fault.status >= 500 else "Error")

    def route(self, request: SimRequest) -> SimResponse:
        path, method = request.path.rstrip("/"), request.method
        if path == "/v2/schedules" and method == "GET":
            return SimResponse(200, og_envelope([self.raw_schedule(s) for s in self.schedules.values()],
                                                expandable=True))
        m = _SCHEDULE.match(path)
        by_name = (request.param("identifierType") or request.param("scheduleIdentifierType")) == "name"
        schedule = (self.schedule(m["sid"]) if by_name else self.schedules.get(m["sid"])) if m else None
        if schedule is None:
            return self.error(404, "No schedule exists with identifier")
        part, alias = m["part"], m["alias"]
        if part is None and method == "GET":
            return SimResponse(200, og_envelope(self.raw_schedule(schedule)))
        if part == "timeline" and method == "GET":
            return self._timeline(schedule, request)
        if part == "overrides" and alias is None:
            if method == "GET":
                return SimResponse(200, og_envelope([self._raw(schedule, o) for o in self._sorted(schedule)]))
            if method == "POST":
                return self._create(schedule, request)
        if part == "overrides" and alias is not None:
            if method == "GET":
                o = schedule.sim.overrides.get(alias)
                return (SimResponse(200, og_envelope(self._raw(schedule, o))) if o
                        else self.error(404, "Override not found"))
            if method == "DELETE":
                return self._delete(schedule, alias)
        return self.error(404, "Not found")

    # ------------------------------------------------------------ endpoints

    def raw_schedule(self, schedule: ProviderSchedule) -> dict:
        rotation = schedule.sim.rotation
        days = rotation.turn / timedelta(days=1)
        kind, length = (("weekly", int(days // 7)) if days % 7 == 0 else ("daily", int(days)) if days == int(days)
                        else ("hourly", int(rotation.turn / timedelta(hours=1))))
        participants = [og_participant(u, self.user_email(u)) for u in rotation.users]
        raw = og_rotation("rot-" + schedule.id, participants, kind=kind, length=length, start=iso(rotation.origin))
        return {**og_schedule(schedule.id, schedule.name, rotations=[raw]), "timezone": schedule.time_zone}

    @staticmethod
    def _sorted(schedule: ProviderSchedule) -> list[SimOverride]:
        return sorted(schedule.sim.overrides.values(), key=lambda o: (o.start, o.seq))

    def _raw(self, schedule: ProviderSchedule, o: SimOverride) -> dict:
        raw = og_override(o.id, o.user_id, self.user_email(o.user_id), iso(o.start), iso(o.end))
        return {**raw, "_parent": {"id": schedule.id, "name": schedule.name, "enabled": True}}

    def _timeline(self, schedule: ProviderSchedule, request: SimRequest) -> SimResponse:
        since = parse(request.param("date")) if request.param("date") else self.clock()
        interval = int(request.param("interval") or 1)
        until = since + timedelta(days=interval * _UNITS.get(request.param("intervalUnit") or "weeks", 7))
        periods = [og_period(r.user_id, self.user_email(r.user_id), iso(r.start), iso(r.end))
                   for r in schedule.sim.rendered(since, until)]
        timeline = {"rotations": [{"id": "rot-" + schedule.id, "name": "Primary", "order": 1, "periods": periods}]}
        return SimResponse(200, og_envelope({
            "_parent": {"id": schedule.id, "name": schedule.name, "enabled": True},
            "startDate": iso(since), "endDate": iso(until),
            "finalTimeline": timeline, "baseTimeline": timeline, "overrideTimeline": {"rotations": []}}))

    def _create(self, schedule: ProviderSchedule, request: SimRequest) -> SimResponse:
        raw = request.json() or {}
        user = raw.get("user") or {}
        if user.get("type") == "none":  # an override for nobody (the bot's write check): pages no one
            key = (schedule.id, raw.get("alias") or f"alias-none-{len(self._nobody) + 1}")
            if key in self._nobody:
                return self.error(409, "Alias already exists")
            self._nobody.add(key)
            return SimResponse(201, {**og_envelope({"alias": key[1]}), "result": "Created"})
        uid = user.get("id") or next((u for u, (_n, e) in self.users.items() if e == user.get("username")), None)
        if uid not in self.users:
            return self.error(422, f"User {user.get('id') or user.get('username')} not found")
        alias = raw.get("alias") or f"alias-{len(schedule.sim.overrides) + 1}"
        if alias in schedule.sim.overrides:
            return self.error(409, "Alias already exists")
        start, end = parse(raw["startDate"]), parse(raw["endDate"])
        if start >= end:
            return self.error(422, "End date should be later than start date")
        schedule.sim.create(OverrideRequest(uid, start, end, alias))
        return SimResponse(201, {**og_envelope({"alias": alias}), "result": "Created"})

    def _delete(self, schedule: ProviderSchedule, alias: str) -> SimResponse:
        if (schedule.id, alias) in self._nobody:
            self._nobody.discard((schedule.id, alias))
            return SimResponse(200, {"result": "Deleted", "took": 0.01, "requestId": "r"})
        outcome = schedule.sim.delete(alias).value
        if outcome == "missing":
            return self.error(404, "Override not found")
        if outcome == "past":
            return self.error(400, "Cannot delete an override in the past")
        return SimResponse(200, {"result": "Deleted", "took": 0.01, "requestId": "r"})
