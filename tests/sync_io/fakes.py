"""Stateful PagerDuty, Opsgenie and JSM schedules on respx: the sandbox simulators (`bot.sandbox.pagerduty`,
`bot.sandbox.opsgenie`, `bot.sandbox.jsm`, over `bot.sandbox.schedule.SimSchedule`) answering on the
public base URLs (JSM: the API host and the site `acme.atlassian.net`).

Routes answer like the real APIs as far as the bot uses them (overrides list/create/delete, the
rendered final schedule / timeline, the schedule and user lists), so the `conformant_respx` fixture
checks every request against the official specs. The schedule shows the simulated base rotation, so
a schedule linked from the fake is cut the way the fake pages.

    pd = FakePagerDuty(conformant_respx, clock)
    pd.hand_override("PU3", start, end)
    pd.requests("POST")          # what the bot sent
    pd.fail = lambda request: httpx.Response(503) if request.method == "POST" else None
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from bot.sandbox.jsm import JsmSim
from bot.sandbox.opsgenie import OpsgenieSim
from bot.sandbox.pagerduty import PagerDutySim
from bot.sandbox.provider import ProviderSim, SimRequest
from bot.sandbox.schedule import Rotation

PD = "https://api.pagerduty.com"
OG = "https://api.opsgenie.com"
JSM = "https://api.atlassian.com"
JSM_SITE = "acme"
JSM_CLOUD = "a436116f-02ce-4520-8fbb-7301462a1674"
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday


def sim_request(request: httpx.Request) -> SimRequest:
    return SimRequest.from_target(request.method, request.url.raw_path.decode(), dict(request.headers),
                                  request.content)


class _Fake:
    base: str
    paths: tuple[str, ...]  # the routes served, as regular expressions after the base URL

    def __init__(self, router, clock: Callable[[], datetime], schedule_id: str, users: dict[str, tuple[str, str]],
                 account: ProviderSim, *, delay: float = 0.0, time_zone: str = "UTC",
                 origin: datetime = T0 - timedelta(days=70)):
        self.clock = clock
        self.schedule_id = schedule_id
        self.account = account
        self.users = account.users
        self.users.update(users)
        self.delay = delay
        self.time_zone = time_zone  # the schedule's zone as the provider reports it (the rotation steps in UTC)
        self.sim = account.add_schedule(schedule_id, "Platform primary", time_zone,
                                        Rotation(origin, timedelta(days=7), tuple(users)))
        self.log: list[httpx.Request] = []
        self.fail: Callable[[httpx.Request], httpx.Response | None] | None = None
        self._lock = threading.Lock()
        self.router = router
        sid = re.escape(schedule_id)
        for path in self.paths:
            router.route(url__regex=rf"^{re.escape(self.base)}{path.format(sid=sid)}(\?.*)?$").mock(
                side_effect=self._route)

    def _route(self, request: httpx.Request) -> httpx.Response:
        if self.delay:
            time.sleep(self.delay)  # a slow provider (the concurrency test)
        with self._lock:
            self.log.append(request)
        failed = self.fail(request) if self.fail else None
        if failed is not None:
            return failed
        return self.perform(request)

    def perform(self, request: httpx.Request) -> httpx.Response:
        """What the simulated provider answers, without the failure hook (a fault that writes first)."""
        answer = self.account.handle(sim_request(request))
        return httpx.Response(answer.status, content=answer.content(),
                              headers={"Content-Type": "application/json", **answer.headers})

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


class FakePagerDuty(_Fake):
    base = PD
    paths = ("/schedules/{sid}/overrides", "/schedules/{sid}/overrides/[^/?]+", "/schedules/{sid}", "/schedules",
             "/schedules/preview", "/users/[^/?]+", "/users")

    def __init__(self, router, clock, *, schedule_id: str = "PSCHED1", users=None, delay: float = 0.0, **kw):
        users = users or {"PU1": ("Alice Adams", "alice@example.com"), "PU2": ("Bob Brown", "bob@example.com"),
                          "PU3": ("Carol Chen", "carol@example.com")}
        super().__init__(router, clock, schedule_id, users, PagerDutySim(clock=clock), delay=delay, **kw)


class FakeOpsgenie(_Fake):
    base = OG
    paths = ("/v2/schedules/{sid}/overrides", "/v2/schedules/{sid}/overrides/[^/?]+", "/v2/schedules/{sid}/timeline",
             "/v2/schedules/{sid}", "/v2/schedules")

    def __init__(self, router, clock, *, schedule_id: str = "og-sched-1", users=None, delay: float = 0.0, **kw):
        users = users or {"og-u1": ("Alice Adams", "alice@example.com"), "og-u2": ("Bob Brown", "bob@example.com"),
                          "og-u3": ("Carol Chen", "carol@example.com")}
        super().__init__(router, clock, schedule_id, users, OpsgenieSim(clock=clock), delay=delay, **kw)


class FakeJsm(_Fake):
    """A JSM Operations site: the ops API on api.atlassian.com and the site's tenant_info and user API
    on acme.atlassian.net, one `JsmSim` behind both."""

    base = f"{JSM}/jsm/ops/api/{JSM_CLOUD}/v1"
    paths = ("/schedules/{sid}/overrides", "/schedules/{sid}/overrides/[^/?]+", "/schedules/{sid}/timeline",
             "/schedules/{sid}/rotations", "/schedules/{sid}", "/schedules")

    def __init__(self, router, clock, *, schedule_id: str = "jsm-sched-1", users=None, delay: float = 0.0,
                 account: JsmSim | None = None, **kw):
        users = users or {"5b10a2844c20165700ede21g": ("Alice Adams", "alice@example.com"),
                          "5b10ac8d82e05b22cc7d4ef5": ("Bob Brown", "bob@example.com"),
                          "5b109f2e9729b51b54dc274d": ("Carol Chen", "carol@example.com")}
        account = account or JsmSim(clock=clock, site=JSM_SITE, cloud_id=JSM_CLOUD)
        super().__init__(router, clock, schedule_id, users, account, delay=delay, **kw)
        router.route(url__regex=rf"^https://{JSM_SITE}\.atlassian\.net/(_edge/tenant_info|rest/api/3/user/bulk)"
                                rf"(\?.*)?$").mock(side_effect=self._route)
