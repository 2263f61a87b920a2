"""Engine, sessions and migrations (Alembic, run programmatically)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class DatabaseNotReady(RuntimeError):
    """The database schema is missing or older than this code expects."""


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, a busy timeout and WAL for concurrent access."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    # sync round ≤ 12 threads × 2 (lock + session), work pool 8, listeners: see docs/architecture.md
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30)


def alembic_config(engine: Engine, keys: object = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    cfg.attributes["keys"] = keys
    return cfg


def upgrade(engine: Engine, revision: str = "head", *, keys: object = None) -> None:
    """Apply every pending migration (idempotent). `keys` (a KeyBox, or a function returning one,
    called only when needed) lets a migration encrypt stored secrets (0004: calendar feeds)."""
    command.upgrade(alembic_config(engine, keys), revision)


def downgrade(engine: Engine, revision: str, *, keys: object = None) -> None:
    command.downgrade(alembic_config(engine, keys), revision)


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_current(engine: Engine) -> None:
    """Raise DatabaseNotReady with what to run when the schema is not at head."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        state = "has no oncall-bot tables yet" if current is None else f"is at revision {current}"
        raise DatabaseNotReady(
            f"The database {state}; this version needs {head}. Run `oncall-bot db upgrade` first."
        )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
