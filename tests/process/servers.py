"""Provider doubles as real HTTP servers on loopback, for tests that run the bot as its own process.

The stateful fakes of `tests.sync_io.fakes` register their routes on a `respx.Router` at the public
base URL; `RouterServer` serves such a router over real HTTP, so a bot process configured with
`PAGERDUTY_API_URL=http://127.0.0.1:<port>` talks to the same state logic the in-process tests use.
Every request is first checked against the official API descriptions (`tests.conformance`): a
request the real provider would not accept is answered 400 and kept in `problems`, as a strict
double must refuse what the real service refuses.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import respx

from tests.conformance import missing_reason, request_problems

HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


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
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> RouterServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, content = outer.answer(self.command, self.path, dict(self.headers), body)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="provider-double", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        kept = {k: v for k, v in headers.items() if k.lower() not in HOP_HEADERS}
        request = httpx.Request(method, self.public_base + path, headers=kept, content=body)
        with self._lock:
            self.requests.append(request)
        if self.authorization is not None and kept.get("Authorization") != self.authorization:
            return 401, {"Content-Type": "application/json"}, json.dumps(self.unauthorized).encode()
        problems = [] if missing_reason() else request_problems(request)
        if problems:
            with self._lock:
                self.problems.extend(problems)
            return 400, {"Content-Type": "application/json"}, json.dumps({"error": problems}).encode()
        try:
            response = self.router.handler(request)
        except Exception as exc:  # an unmatched route: what the real service would answer 404 to
            with self._lock:
                self.problems.append(f"{method} {path}: {type(exc).__name__}")
            return 404, {"Content-Type": "application/json"}, b'{"error": "not found"}'
        response.read()
        out = {"Content-Type": response.headers.get("content-type", "application/json")}
        return response.status_code, out, response.content

    def paths(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [r.url.path for r in self.requests if method is None or r.method == method]
