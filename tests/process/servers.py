"""Provider doubles as real HTTP servers on loopback, for tests that run the bot as its own process.

The stateful fakes of `tests.sync_io.fakes` register their routes on a `respx.Router` at the public
base URL; `RouterServer` serves such a router over real HTTP (`bot.sandbox.http.LoopbackServer`), so
a bot process configured with `PAGERDUTY_API_URL=http://127.0.0.1:<port>` talks to the same state
logic the in-process tests use. Every request is first checked against the official API descriptions
(`bot.sandbox.conformance`): a request the real provider would not accept is answered 400 and kept in
`problems`, as a strict double must refuse what the real service refuses.
"""

from __future__ import annotations

import threading

import httpx
import respx

from bot.sandbox.conformance import simulator_check
from bot.sandbox.http import LoopbackServer
from bot.sandbox.provider import SimRequest, SimResponse


class RouterServer:
    def __init__(self, public_base: str, *, authorization: str | None = None, unauthorized: dict | None = None):
        """`authorization`: the one `Authorization` header value accepted; any other is answered 401
        with `unauthorized` as body (PagerDuty and Opsgenie both refuse a bad key with 401)."""
        self.public_base = public_base.rstrip("/")
        self.authorization = authorization
        self.unauthorized = unauthorized or {"message": "Unauthorized"}
        self.router = respx.Router(assert_all_called=False, assert_all_mocked=True)
        self.problems: list[str] = []
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self.answer, "provider-double")
        self.check = simulator_check(self.public_base)

    def start(self) -> RouterServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    def answer(self, sim: SimRequest) -> SimResponse:
        headers = {k: v for k, v in sim.headers.items() if k not in ("host", "content-length", "connection",
                                                                     "transfer-encoding", "accept-encoding")}
        request = httpx.Request(sim.method, self.public_base + sim.path, params=sim.query, headers=headers,
                                content=sim.body)
        with self._lock:
            self.requests.append(request)
        if self.authorization is not None and headers.get("authorization") != self.authorization:
            return SimResponse(401, self.unauthorized)
        problems = self.check(sim) if self.check else []
        if problems:
            with self._lock:
                self.problems.extend(problems)
            return SimResponse(400, {"error": problems})
        try:
            response = self.router.handler(request)
        except Exception as exc:  # an unmatched route: what the real service would answer 404 to
            with self._lock:
                self.problems.append(f"{sim.method} {sim.path}: {type(exc).__name__}")
            return SimResponse(404, {"error": "not found"})
        response.read()
        return SimResponse(response.status_code, response.json() if response.content else None)

    def paths(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [r.url.path for r in self.requests if method is None or r.method == method]
