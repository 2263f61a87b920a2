"""Shared fixtures. Fixture modules live in tests/plugins/; add yours to pytest_plugins."""

pytest_plugins = ["tests.plugins.db"]
