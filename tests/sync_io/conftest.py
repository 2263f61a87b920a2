"""The sync I/O tests run against a deterministic stand-in for `bot.sync.assignments`
(weekly round-robin of the first two members), so export behaviour is tested on its own."""

import pytest

from tests.plugins.world import install_fake_assignments


@pytest.fixture(autouse=True)
def fake_assignments(monkeypatch):
    install_fake_assignments(monkeypatch)


@pytest.fixture
def job_module():
    """`bot.jobs`: the sync round that tells Slack, and the scheduler."""
    from bot import jobs

    return jobs
