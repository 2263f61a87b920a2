"""An ICS server on 127.0.0.1 for calendar tests: documents by path, slow (drip) feeds, redirects,
endless bodies; it records every request (path and Host header)."""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.sandbox.http import serve_in_thread


class FeedServer:
    def __init__(self) -> None:
        self.docs: dict[str, str] = {}  # path -> ICS text
        self.status = 200
        self.drips: dict[str, tuple[bytes, float]] = {}  # path -> (body, seconds between bytes)
        self.redirects: dict[str, str] = {}  # path -> Location
        self.endless: set[str] = set()  # paths answering an unending body without Content-Length
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self.stop = threading.Event()
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802
                feeds.requests.append((self.path, self.headers.get("Host", "")))
                if self.path in feeds.redirects:
                    self.send_response(302)
                    self.send_header("Location", feeds.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path in feeds.drips:
                    body, pause = feeds.drips[self.path]
                    self._head(200, len(body))
                    for i in range(len(body)):
                        if feeds.stop.wait(pause):
                            return
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                    return
                if self.path in feeds.endless:
                    self._head(200, None)
                    chunk = b"X" * 65536
                    while not feeds.stop.is_set():
                        self.wfile.write(chunk)
                    return
                body = feeds.docs.get(self.path, "").encode()
                self._head(feeds.status if self.path in feeds.docs else 404, len(body))
                self.wfile.write(body)

            def _head(self, code: int, length: int | None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "text/calendar")
                if length is not None:
                    self.send_header("Content-Length", str(length))
                self.end_headers()

            def handle(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the bot hung up on purpose
                    super().handle()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._stop_serving = serve_in_thread(self.server, "feed-server")

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.stop.set()
        self._stop_serving()


def elapsed(fn) -> tuple[float, object]:
    """(seconds, result or raised exception) of `fn()`."""
    start = time.monotonic()
    try:
        result = fn()
    except Exception as exc:  # returned for the caller to check
        result = exc
    return time.monotonic() - start, result
