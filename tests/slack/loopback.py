"""The real HTTP server (`bot.server.http_server`, waitress) on a loopback port, for tests.

    with loopback(ctx, app) as port:
        status, body = post(port, body_bytes, sign(body))
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loopback(ctx, app) -> Iterator[int]:
    from bot.server import http_server

    server = http_server(ctx, app, host="127.0.0.1", port=0)
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # select() on the sockets closed below
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        stopping.set()
        for channel in list(server._map.values()):
            channel.close()
        server.task_dispatcher.shutdown(timeout=1)
        thread.join(5)


def post(port: int, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> tuple[int, bytes]:
    """POST to /slack/events; the status and the body of the answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/slack/events", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()
