"""Faults injected at the provider fakes (`tests/sync_io/fakes.py`) through their `fail` hook.

One `Faults` per fake; the driver picks a mode (and how often it strikes) before each run that
talks to the providers, from the simulation's seeded `random.Random`, so a seed replays exactly:

| mode | what the provider does |
| --- | --- |
| `none` | answers |
| `429` / `429-nohint` | 429 with `ratelimit-reset` / `Retry-After`-less, before doing anything |
| `5xx` | 500/502/503, before doing anything |
| `timeout` | the request times out before reaching the provider |
| `lost-answer` | a write is done, then the answer is lost (read timeout) |
| `partial` | PagerDuty bulk create: some items fail (per-item status 400); Opsgenie: some creates 400 |
| `crash` | a write is done, then the process dies (`Crash`) before it can commit anything |
"""

from __future__ import annotations

import json
import random

import httpx

from bot.providers.base import OverrideRequest
from bot.providers.timefmt import iso, parse
from tests.providers.fixtures import og_error, pd_error, pd_override

MODES = ("none", "429", "429-nohint", "5xx", "timeout", "lost-answer", "partial", "crash")
WEIGHTS = (40, 7, 5, 10, 7, 8, 9, 14)


class Crash(BaseException):  # noqa: N818 (a process dying is not an error the bot may catch)
    """The process dies here: nothing after the provider write reaches the database."""


class Faults:
    """The `fail` hook of one fake (see the module docstring)."""

    def __init__(self, fake, rng: random.Random):
        self.fake = fake
        self.rng = rng
        self.mode = "none"
        self.rate = 0.0
        self.struck = 0
        fake.fail = self

    def arm(self, mode: str, rate: float) -> None:
        self.mode, self.rate = mode, rate

    def _write(self, request: httpx.Request) -> bool:
        return request.method in ("POST", "DELETE") and "/overrides" in request.url.path

    def _perform(self, request: httpx.Request) -> httpx.Response:
        return self.fake.perform(request)

    def __call__(self, request: httpx.Request) -> httpx.Response | None:
        if self.mode == "none" or self.rng.random() >= self.rate:
            return None
        mode = self.mode
        if mode in ("lost-answer", "crash", "partial") and not self._write(request):
            return None
        self.struck += 1
        pd = "pagerduty" in request.url.host
        if mode == "429":
            return httpx.Response(429, headers={"ratelimit-reset": "1"} if pd else {"Retry-After": "1"},
                                  json=pd_error(2020, "Rate Limit Exceeded") if pd else og_error("Rate limit"))
        if mode == "429-nohint":
            return httpx.Response(429, json=pd_error(2020, "Rate Limit Exceeded") if pd else og_error("Rate limit"))
        if mode == "5xx":
            status = self.rng.choice((500, 502, 503))
            return httpx.Response(status, json=pd_error(2000, "Internal error") if pd else og_error("Internal"))
        if mode == "timeout":
            raise httpx.ConnectTimeout("simulated connect timeout", request=request)
        if mode == "lost-answer":
            self._perform(request)
            raise httpx.ReadTimeout("simulated read timeout after the write", request=request)
        if mode == "crash":
            self._perform(request)
            raise Crash(f"{request.method} {request.url.path}")
        return self._partial(request, pd)

    def _partial(self, request: httpx.Request, pd: bool) -> httpx.Response:
        if request.method != "POST":
            return httpx.Response(500, json=pd_error(2000, "Internal error") if pd else og_error("Internal"))
        if not pd:
            return httpx.Response(400, json=og_error("Override could not be created"))
        items = []
        with self.fake._lock:
            for raw in json.loads(request.content)["overrides"]:
                if self.rng.random() < 0.5:
                    items.append({"status": 400, "errors": ["Override could not be created"]})
                    continue
                uid = raw["user"]["id"]
                o = self.fake.sim.create(OverrideRequest(uid, parse(raw["start"]), parse(raw["end"]), "unused"))
                items.append({"status": 201, "override": pd_override(o.id, uid, iso(o.start), iso(o.end),
                                                                     self.fake.users[uid][0])})
        return httpx.Response(201, json=items)
