"""Serve a simulator over real HTTP on 127.0.0.1 (a free port), one thread per connection.

    server = LoopbackServer(pd.handle).start()
    server.url          # http://127.0.0.1:PORT
    server.stop()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.sandbox.provider import SimRequest, SimResponse


class LoopbackServer:
    def __init__(self, handle: Callable[[SimRequest], SimResponse], name: str = "simulator"):
        self.handle = handle
        self.name = name
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> LoopbackServer:
        handle = self.handle

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    answer = handle(SimRequest.from_target(self.command, self.path, dict(self.headers), body))
                except Exception as exc:  # a simulator bug answers 500, as a broken service would
                    answer = SimResponse(500, {"error": f"simulator error: {type(exc).__name__}: {exc}"})
                content = answer.content()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
