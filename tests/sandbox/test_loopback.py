"""`bot.sandbox.http`: loopback servers answer, and stop at once (no shutdown poll interval)."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.sandbox.http import LoopbackServer
from bot.sandbox.provider import SimResponse


def test_a_loopback_server_answers_then_stops_at_once():
    server = LoopbackServer(lambda request: SimResponse(200, {"path": request.path})).start()
    url = server.url
    assert httpx.get(f"{url}/ping", trust_env=False).json() == {"path": "/ping"}
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 0.2  # serve_forever's shutdown() waited up to 0.5 s
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/ping", trust_env=False)
    server.stop()  # twice is harmless
