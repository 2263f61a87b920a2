"""Shared fixtures. Fixture modules live in tests/plugins/; add yours to pytest_plugins."""

import logging

import pytest

pytest_plugins = ["tests.plugins.db"]

# Provider conformance: the `conformant_respx` fixture (see tests/conformance.py).
pytest_plugins = [*pytest_plugins, "tests.conformance"]

# Slack: stub Web API, app context and drivers (see tests/plugins/slack.py).
pytest_plugins = [*pytest_plugins, "tests.plugins.slack"]

# The work pool: inline unless a test takes `work_pool` (see tests/plugins/work.py).
pytest_plugins = [*pytest_plugins, "tests.plugins.work"]


def pytest_terminal_summary(terminalreporter, config) -> None:
    """The order is random (pytest-randomly); its seed also under -q, where the header is hidden."""
    if config.pluginmanager.hasplugin("randomly"):
        seed = config.getoption("randomly_seed")
        terminalreporter.write_line(f"random order: rerun it with --randomly-seed={seed}")


@pytest.fixture(autouse=True)
def logger_levels():
    """Logger levels as they were before each test: one left at DEBUG slowed every later test and
    changed what later log assertions saw (set them with `caplog.set_level(..., logger=name)`)."""
    manager = logging.Logger.manager
    before = {name: lg.level for name, lg in list(manager.loggerDict.items()) if isinstance(lg, logging.Logger)}
    root = logging.getLogger().level
    yield
    logging.getLogger().setLevel(root)
    for name, lg in list(manager.loggerDict.items()):
        if isinstance(lg, logging.Logger) and lg.level != before.get(name, logging.NOTSET):
            lg.setLevel(before.get(name, logging.NOTSET))
