"""Serve a simulator over real HTTP on 127.0.0.1 (a free port), one thread per connection.

    server = LoopbackServer(pd.handle).start()
    server.url          # http://127.0.0.1:PORT
    server.stop()       # returns at once

`serve_in_thread(server, name)` runs any socketserver that way (the test doubles use it too).
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.sandbox.provider import SimRequest, SimResponse


def serve_in_thread(server: socketserver.BaseServer, name: str) -> Callable[[], None]:
    """Serve `server` on a daemon thread; the returned function stops and closes it at once.

    `serve_forever` looks at its shutdown flag every `poll_interval` (0.5 s by default), so each
    `shutdown()` waited up to that long (the suite spent over half its time there). This loop also
    waits on a socket pair that stopping writes to, as CPython's own comment in `serve_forever`
    suggests instead of polling."""
    wake_r, wake_w = socket.socketpair()
    stopping = threading.Event()
    server.timeout = 0  # handle_request() returns at once should a ready connection be gone

    def loop() -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(server, selectors.EVENT_READ)
            selector.register(wake_r, selectors.EVENT_READ)
            while not stopping.is_set():
                ready = selector.select()
                if stopping.is_set():
                    break
                if any(key.fileobj is server for key, _ in ready):
                    server.handle_request()
                server.service_actions()

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()

    def stop() -> None:
        if stopping.is_set():
            return
        stopping.set()
        wake_w.send(b"x")
        thread.join()
        server.server_close()
        wake_r.close()
        wake_w.close()

    return stop


class LoopbackServer:
    def __init__(self, handle: Callable[[SimRequest], SimResponse], name: str = "simulator"):
        self.handle = handle
        self.name = name
        self._server: ThreadingHTTPServer | None = None
        self._stop: Callable[[], None] | None = None

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
        self._stop = serve_in_thread(self._server, self.name)
        return self

    def stop(self) -> None:
        if self._stop:
            self._stop()
            self._server = self._stop = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
