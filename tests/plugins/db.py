"""Database fixtures: a migrated SQLite file, and a fresh PostgreSQL database per test.

PostgreSQL runs at 127.0.0.1:5432 (trust auth) on the project's machines. Tests that need it
skip with a reason when no server answers, unless ONCALL_REQUIRE_POSTGRES=1 (set by CI),
where they fail instead.
"""

from __future__ import annotations

import os
import shutil
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


def _pg_database(template: str | None = None):
    """URL of a new PostgreSQL database (a copy of `template`, else empty), dropped afterwards."""
    admin = _pg_admin()
    name = f"oncall_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url():
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    yield from _pg_database()


@pytest.fixture(scope="session")
def pg_migrated_template():
    """A PostgreSQL database migrated to head once per run: `pg_engine`'s databases are copies of it."""
    for url in _pg_database():
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()  # CREATE DATABASE … TEMPLATE needs it without connections
        yield url.rsplit("/", 1)[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory) -> str:
    """A SQLite file migrated to head once per run: copying it (about 2 ms) instead of migrating
    every test's database (about 250 ms of Alembic) saved minutes over the suite."""
    path = tmp_path_factory.mktemp("template") / "oncall.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection checkpoints the WAL into the file
    return str(path)


@pytest.fixture
def engine(sqlite_url, migrated_sqlite_file):
    """A migrated SQLite engine (the default backend): a copy of the session's migrated file."""
    shutil.copyfile(migrated_sqlite_file, sqlite_url.removeprefix("sqlite:///"))
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request):
    """A migrated engine, on SQLite and on PostgreSQL."""
    return request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture
def pg_engine(pg_url, pg_migrated_template):
    """A migrated engine on `pg_url`'s database, made again as a copy of the migrated template
    (~1.1 s instead of ~2.2 s for migrating it), so tests may open more engines on `pg_url`."""
    name = pg_url.rsplit("/", 1)[1]
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_migrated_template}"'))
    admin.dispose()
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()
