"""Database fixtures: a migrated SQLite file, and a fresh PostgreSQL database per test.

PostgreSQL runs at 127.0.0.1:5432 (trust auth) on the project's machines. Tests that need it
skip with a reason when no server answers, unless ONCALL_REQUIRE_POSTGRES=1 (set by CI),
where they fail instead.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from bot.store.db import make_engine, upgrade

PG_ADMIN_URL = os.environ.get("ONCALL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin():
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        engine.dispose()
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__}); set ONCALL_TEST_PG_URL"
        if os.environ.get("ONCALL_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " — ONCALL_REQUIRE_POSTGRES=1 forbids skipping")
        pytest.skip(reason)
    return engine


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'oncall.db'}"


@pytest.fixture
def pg_url():
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    admin = _pg_admin()
    name = f"oncall_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def _migrated(url: str):
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def engine(sqlite_url):
    """A migrated SQLite engine (the default backend)."""
    yield from _migrated(sqlite_url)


@pytest.fixture
def any_engine(db_url):
    """A migrated engine, on SQLite and on PostgreSQL."""
    yield from _migrated(db_url)


@pytest.fixture
def pg_engine(pg_url):
    """A migrated engine on a fresh PostgreSQL database."""
    yield from _migrated(pg_url)
