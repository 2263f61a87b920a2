"""Swap tests: a schedule like linking leaves it (tests.plugins.world) with Alice (U1), Bob (U2) and
Carol (U3), weekly shifts Alice/Bob alternating from T0 (a Monday), managed by UMGR; the clock on
the Wednesday of the first week (Alice's shift in progress, Bob next on Nov 9, Alice on Nov 16)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.plugins.world import Clock, add_world, install_fake_assignments, make_ctx
from tests.sync_io.fakes import T0

NOW = T0 + timedelta(days=2, hours=3)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def ctx(engine, clock):
    with httpx.HTTPTransport() as http:
        yield make_ctx(engine, clock, http)


@pytest.fixture
def world(ctx):
    return add_world(ctx, weeks=5, managers="UMGR")


@pytest.fixture(autouse=True)
def fake_assignments(monkeypatch):
    """Full syncs extend assignments with the sync tests' deterministic stand-in."""
    install_fake_assignments(monkeypatch)
