"""`bot.sandbox.http`: loopback servers answer, and stop at once (no shutdown poll interval)."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.sandbox.http import LoopbackServer
from bot.sandbox.provider import SimResponse


def test_loopback_servers_answer_then_stop_at_once():
    servers = [LoopbackServer(lambda request: SimResponse(200, {"path": request.path})).start() for _ in range(5)]
    urls = [server.url for server in servers]
    for url in urls:
        assert httpx.get(f"{url}/ping", trust_env=False).json() == {"path": "/ping"}
    started = time.monotonic()
    for server in servers:
        server.stop()
    assert time.monotonic() - started < 0.5  # serve_forever's shutdown() waited 0-0.5 s each: 1.25 s on average
    for url in urls:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/ping", trust_env=False)
    servers[0].stop()  # twice is harmless
