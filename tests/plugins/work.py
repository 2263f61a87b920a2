"""The work pool (`bot.services.background`) in tests: jobs run inline, right after the listener
handed them off, so a test sees their outcome when the dispatch returns. Tests about concurrency
take `work_pool`: the real bounded pool, fresh, shut down afterwards."""

from __future__ import annotations

import pytest

from bot.services import background


@pytest.fixture(autouse=True)
def inline_work(monkeypatch):
    monkeypatch.setattr(background, "pool", background.InlineWork())


@pytest.fixture
def work_pool(monkeypatch) -> background.WorkPool:
    pool = background.WorkPool()
    monkeypatch.setattr(background, "pool", pool)
    yield pool
    pool.shutdown(wait=True)
