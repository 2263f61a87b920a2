"""One sync at a time per schedule, across threads and replicas.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a dedicated
connection for the duration of the run, so replicas sharing the database never sync the same
schedule at once. SQLite (one process by design): a process-local lock per key.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

# A namespace so the bot's advisory locks don't collide with other users of the database.
_NAMESPACE = 0x0C_A1_1B  # "oncall bot"
# Keys of jobs that must run on one replica at a time (schedule locks use positive schedule ids).
CALENDAR_FEEDS_KEY = -1
_local_locks: dict[tuple[str, int], threading.Lock] = {}
_local_guard = threading.Lock()


def _local_lock(url: str, key: int) -> threading.Lock:
    with _local_guard:
        return _local_locks.setdefault((url, key), threading.Lock())


@contextmanager
def try_lock(engine: Engine, key: int) -> Iterator[bool]:
    """Yield True when this process now holds the lock for `key`, False when someone else does.

    Never blocks: a schedule already being synced elsewhere is simply skipped this round.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"),
                                    {"ns": _NAMESPACE, "key": key}).scalar())
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": _NAMESPACE, "key": key})
                conn.commit()
        return
    lock = _local_lock(str(engine.url), key)
    got = lock.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            lock.release()
