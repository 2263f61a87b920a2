"""A Jira Service Management (JSM) Operations site as far as the bot uses it, after
`jsm-ops/openapi-schedules.json` (Atlassian's description, info.version "1"):

- the ops API under `/jsm/ops/api/{cloudId}/v1`: schedules (listed 50 at most per page, `links.next`),
  rotations, overrides with an alias the *server* makes (a UUID; the client cannot choose it), listed
  only while ongoing or future, `PUT` replacing one whole, `DELETE` answering 204; the timeline
  (`finalTimeline`, `overrideTimeline` with `expand=override`; past periods are `historical`);
- the site's own endpoints: `/_edge/tenant_info` (the site's cloudId, no auth) and Jira's
  `GET /rest/api/3/user/bulk` (account id → display name and email; an email hidden by the person's
  profile visibility is left out, as Jira does).

HTTP Basic with `email:API token`. `keys` maps "email:token" to "rw" (edit rights) or "ro" (a user
without them: 403 on writes); `expire(token)` makes a token answer 401 as an expired one does. 429
carries `Retry-After` when a fault asks for it (Atlassian publishes no other rate-limit header).
One simulator serves both hosts: behind respx the site is told by its host name
(`<site>.atlassian.net`); on a loopback server every host is the site.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import datetime, timedelta

from bot.providers.base import OverrideRequest
from bot.providers.timefmt import iso, parse
from bot.sandbox.provider import Fault, ProviderSchedule, ProviderSim, SimRequest, SimResponse
from bot.sandbox.schedule import SimOverride
from bot.sandbox.shapes import (
    jira_user,
    jira_users_page,
    jsm_errors,
    jsm_override,
    jsm_page,
    jsm_period,
    jsm_responder,
    jsm_rotation,
    jsm_schedule,
    jsm_timeline,
    jsm_unauthorized,
)

_OPS = re.compile(r"^(?:/.*)?/jsm/ops/api/(?P<cloud>[^/]+)/v1(?P<rest>/.*)$")
_SCHEDULE = re.compile(r"^/schedules/(?P<sid>[^/]+?)(/(?P<part>rotations|overrides|timeline)(/(?P<alias>[^/]+))?)?$")
_UNITS = {"days": 1, "weeks": 7, "months": 31}
PAGE_MAX = 50
BACK, AHEAD = timedelta(days=366), timedelta(days=731)  # the timeline reaches one year back, two ahead


class JsmSim(ProviderSim):
    name = "JSM"

    def __init__(self, *, site: str = "acme", cloud_id: str = "a436116f-02ce-4520-8fbb-7301462a1674", **kw):
        super().__init__(aliases_as_ids=True, **kw)
        self.site = site
        self.cloud_id = cloud_id
        self.hidden_emails: set[str] = set()  # account ids whose profile hides the email
        self.expired: set[str] = set()  # API tokens past their expiry date
        self._aliases = 0
        self._nobody: dict[tuple[str, str], dict] = {}  # overrides for nobody (the bot's write check)

    def expire(self, token: str) -> None:
        with self.lock:
            self.expired.add(token)

    # ------------------------------------------------------------ auth and errors

    def api_key(self, authorization: str) -> str:
        """"email:token" of a Basic header ("" when it is not one)."""
        if not authorization.startswith("Basic "):
            return ""
        try:
            return base64.b64decode(authorization.removeprefix("Basic ").strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""

    def error(self, status: int, message: str) -> SimResponse:
        if status == 401:
            return SimResponse(401, jsm_unauthorized(message))
        code = {403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT", 422: "UNPROCESSABLE_ENTITY",
                429: "TOO_MANY_REQUESTS"}.get(status, "INTERNAL_SERVER_ERROR" if status >= 500 else "BAD_REQUEST")
        return SimResponse(status, jsm_errors(message, code))

    def fault_response(self, fault: Fault) -> SimResponse:
        if fault.status == 429:
            response = self.error(429, "Too many requests")
            if fault.reset is not None:
                response.headers["Retry-After"] = str(int(fault.reset))
            return response
        return self.error(fault.status, "Internal Server Error" if fault.status >= 500 else "Error")

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path.endswith("/_edge/tenant_info") and request.method == "GET":
            with self.lock:
                self.log.append(request)
                if not self._our_site(request):
                    return SimResponse(404, {"message": "Site not found"})
                return SimResponse(200, {"cloudId": self.cloud_id})
        key = self.api_key(request.headers.get("authorization", ""))
        if key.partition(":")[2] in self.expired:
            with self.lock:
                self.log.append(request)
            return self.error(401, "Unauthorized: the API token has expired.")
        return super().handle(request)

    def _our_site(self, request: SimRequest) -> bool:
        host = request.headers.get("host", "").split(":")[0]
        return not host.endswith(".atlassian.net") or host == f"{self.site}.atlassian.net"

    # ------------------------------------------------------------ routing

    def route(self, request: SimRequest) -> SimResponse:
        if request.path.endswith("/rest/api/3/user/bulk") and request.method == "GET":
            return self._users(request) if self._our_site(request) else self.error(404, "Site not found")
        m = _OPS.match(request.path.rstrip("/"))
        if m is None or m["cloud"] != self.cloud_id:
            return self.error(404, "Not found")
        path, method = m["rest"], request.method
        if path == "/schedules" and method == "GET":
            expand = "rotation" in request.query.get("expand", [])
            return self._page(request, [self.raw_schedule(s, rotations=expand) for s in self.schedules.values()],
                              "/v1/schedules")
        s = _SCHEDULE.match(path)
        schedule = self.schedules.get(s["sid"]) if s else None
        if schedule is None:
            return self.error(404, "Schedule not found")
        part, alias = s["part"], s["alias"]
        if part is None and method == "GET":
            return SimResponse(200, self.raw_schedule(schedule, rotations=False))
        if part == "rotations" and alias is None and method == "GET":
            return self._page(request, [self._rotation(schedule)], f"/v1/schedules/{schedule.id}/rotations")
        if part == "timeline" and alias is None and method == "GET":
            return self._timeline(schedule, request)
        if part == "overrides" and alias is None:
            if method == "GET":
                live = [self._raw(o) for o in self._sorted(schedule) if o.end > self.clock()]
                return self._page(request, live, f"/v1/schedules/{schedule.id}/overrides")
            if method == "POST":
                return self._create(schedule, request)
        if part == "overrides" and alias is not None and (schedule.id, alias) in self._nobody:
            if method == "DELETE":
                del self._nobody[(schedule.id, alias)]
                return SimResponse(204)
            return SimResponse(200, self._nobody[(schedule.id, alias)])
        if part == "overrides" and alias is not None:
            o = schedule.sim.overrides.get(alias)
            if o is None:
                return self.error(404, "Override not found")
            if method == "GET":
                return SimResponse(200, self._raw(o))
            if method == "PUT":
                return self._update(schedule, o, request)
            if method == "DELETE":
                return self._delete(schedule, alias)
        return self.error(404, "Not found")

    # ------------------------------------------------------------ endpoints

    def _page(self, request: SimRequest, items: list, path: str) -> SimResponse:
        try:
            size = int(request.param("size") or 25)
            offset = int(request.param("offset") or 0)
        except ValueError:
            return self.error(422, "size and offset must be integers")
        if not 1 <= size <= PAGE_MAX or offset < 0:
            return self.error(422, f"size must be between 1 and {PAGE_MAX}, offset at least 0")
        chunk = items[offset:offset + size]
        more = offset + size < len(items)
        return SimResponse(200, jsm_page(chunk, f"{path}?offset={offset + size}&size={size}" if more else None))

    def _rotation(self, schedule: ProviderSchedule) -> dict:
        rotation = schedule.sim.rotation
        days = rotation.turn / timedelta(days=1)
        kind, length = (("weekly", int(days // 7)) if days % 7 == 0 else ("daily", int(days)) if days == int(days)
                        else ("hourly", int(rotation.turn / timedelta(hours=1))))
        return jsm_rotation("rot-" + schedule.id, [jsm_responder(u) for u in rotation.users], kind=kind,
                            length=length, start=iso(rotation.origin))

    def raw_schedule(self, schedule: ProviderSchedule, *, rotations: bool) -> dict:
        return jsm_schedule(schedule.id, schedule.name, time_zone=schedule.time_zone,
                            rotations=[self._rotation(schedule)] if rotations else None)

    @staticmethod
    def _sorted(schedule: ProviderSchedule) -> list[SimOverride]:
        return sorted(schedule.sim.overrides.values(), key=lambda o: (o.start, o.seq))

    @staticmethod
    def _raw(o: SimOverride) -> dict:
        return jsm_override(o.id, o.user_id, iso(o.start), iso(o.end))

    def _timeline(self, schedule: ProviderSchedule, request: SimRequest) -> SimResponse:
        now = self.clock()
        since = parse(request.param("date")) if request.param("date") else now
        interval = int(request.param("interval") or 1)
        until = since + timedelta(days=interval * _UNITS.get(request.param("intervalUnit") or "weeks", 7))
        if since < now - BACK or until > now + AHEAD:
            return self.error(422, "The timeline can go back at most one year and ahead at most two years.")
        sim = schedule.sim
        periods = []
        for r in sim.rendered(since, until):
            overridden = any(o.start <= r.start < o.end for o in sim.overrides.values())
            kind = "historical" if r.end <= now else "override" if overridden else "base"
            periods.append(jsm_period(r.user_id, iso(r.start), iso(r.end), kind))
        overrides = None
        if "override" in request.query.get("expand", []):
            overrides = [jsm_period(o.user_id, iso(max(o.start, since)), iso(min(o.end, until)), "override")
                         for o in self._sorted(schedule) if o.start < until and o.end > since]
        return SimResponse(200, jsm_timeline(iso(since), iso(until), periods, overrides=overrides,
                                             rotation_id="rot-" + schedule.id))

    def _window(self, raw: dict) -> tuple[str, datetime, datetime] | SimResponse:
        responder = raw.get("responder") or {}
        if responder.get("type") != "user" or responder.get("id") not in self.users:
            return self.error(422, f"Responder {responder.get('id') or responder.get('type')} is not a user "
                                   "of this site")
        try:
            start, end = parse(raw["startDate"]), parse(raw["endDate"])
        except (KeyError, ValueError):
            return self.error(422, "startDate and endDate are required date-times")
        if start >= end:
            return self.error(422, "End date should be later than start date")
        return responder["id"], start, end

    def _create(self, schedule: ProviderSchedule, request: SimRequest) -> SimResponse:
        raw = request.json() or {}
        self._aliases += 1
        alias = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.cloud_id}/override/{self._aliases}"))
        if (raw.get("responder") or {}).get("type") == "noone":  # pages nobody
            made = {"alias": alias, "responder": jsm_responder(None), "startDate": raw.get("startDate"),
                    "endDate": raw.get("endDate"), "rotationIds": []}
            self._nobody[(schedule.id, alias)] = made
            return SimResponse(201, made)
        window = self._window(raw)
        if isinstance(window, SimResponse):
            return window
        uid, start, end = window
        o = schedule.sim.create(OverrideRequest(uid, start, end, alias))
        return SimResponse(201, jsm_override(o.id, uid, iso(o.start), iso(o.end)))

    def _update(self, schedule: ProviderSchedule, o: SimOverride, request: SimRequest) -> SimResponse:
        window = self._window(request.json() or {})
        if isinstance(window, SimResponse):
            return window
        o.user_id, o.start, o.end = window
        return SimResponse(200, self._raw(o))

    def _delete(self, schedule: ProviderSchedule, alias: str) -> SimResponse:
        outcome = schedule.sim.delete(alias).value
        if outcome in ("missing", "past"):
            return self.error(404, "Override not found")
        return SimResponse(204)

    def _users(self, request: SimRequest) -> SimResponse:
        ids = request.query.get("accountId") or []
        if not ids:
            return SimResponse(400, {"errorMessages": ["accountId is required"], "errors": {}})
        start = int(request.param("startAt") or 0)
        size = min(max(int(request.param("maxResults") or 10), 1), 200)
        found = [jira_user(u, self.users[u][0], None if u in self.hidden_emails else self.users[u][1],
                           f"https://{self.site}.atlassian.net") for u in ids if u in self.users]
        chunk = found[start:start + size]
        return SimResponse(200, jira_users_page(chunk, start_at=start, max_results=size, total=len(found),
                                                last=start + size >= len(found)))
