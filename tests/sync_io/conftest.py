"""The sync I/O tests run against a deterministic stand-in for `bot.services.assignments`
(weekly round-robin of the first two members), so export behaviour is tested on its own."""

import pytest

from tests.plugins.world import install_fake_assignments


@pytest.fixture(autouse=True)
def fake_assignments(monkeypatch):
    install_fake_assignments(monkeypatch)


@pytest.fixture
def job_module():
    """`bot.sync.job`, forgotten again afterwards: tests/slack/test_server.py fakes that module in
    sys.modules, which only works while the package attribute `bot.sync.job` is absent."""
    import sys

    import bot.sync
    from bot.sync import job

    yield job
    sys.modules.pop("bot.sync.job", None)
    if hasattr(bot.sync, "job"):
        delattr(bot.sync, "job")
