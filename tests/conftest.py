"""Shared fixtures. Fixture modules live in tests/plugins/; add yours to pytest_plugins."""

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
