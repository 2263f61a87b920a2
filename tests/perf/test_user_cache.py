"""Issue 16: two first syncs at once both fill the provider-user cache; the write is an upsert."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text
from sqlmodel import Session, select

from bot.providers.base import RemoteUser
from bot.store.models import Connection, ProviderUser
from bot.sync.inputs import cache_users

USERS = [RemoteUser("PU1", "ann@example.com", "Ann"), RemoteUser("PU2", "bob@example.com", "Bob")]


def _connection(engine) -> int:
    with Session(engine) as session:
        conn = Connection(team_id="T", provider="pagerduty", name="PD", api_key_encrypted="x", key_hint="…abcd")
        session.add(conn)
        session.commit()
        return conn.id


def _someone_waits_for_a_lock(engine, deadline: float) -> bool:
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            if conn.execute(text("select count(*) from pg_locks where not granted")).scalar():
                return True
            time.sleep(0.01)
    return False


def test_two_first_syncs_fill_the_user_cache_at_once(pg_engine):
    conn_id = _connection(pg_engine)
    first_flushed = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with Session(pg_engine) as session:
                cache_users(session, "T", conn_id, USERS)  # inserted, not committed yet
                first_flushed.set()
                # the second writer now runs into our uncommitted rows and waits for them
                _someone_waits_for_a_lock(pg_engine, time.monotonic() + 5)
                session.commit()
        except BaseException as exc:
            first_flushed.set()
            errors.append(exc)

    def second() -> None:
        try:
            first_flushed.wait(5)
            with Session(pg_engine) as session:
                cache_users(session, "T", conn_id, [RemoteUser("PU1", "ann@new.example.com", "Ann B"), USERS[1]])
                session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    with Session(pg_engine) as session:
        rows = session.exec(select(ProviderUser).order_by(ProviderUser.user_id)).all()
        assert [(r.user_id, r.email, r.name) for r in rows] == [
            ("PU1", "ann@new.example.com", "Ann B"), ("PU2", "bob@example.com", "Bob")]


def test_the_cache_upsert_updates_in_place(any_engine):
    conn_id = _connection(any_engine)
    with Session(any_engine) as session:
        cache_users(session, "T", conn_id, USERS)
        cache_users(session, "T", conn_id, [RemoteUser("PU1", "ann@x.example.com", "Ann X")])
        session.commit()
    with Session(any_engine) as session:
        rows = session.exec(select(ProviderUser).order_by(ProviderUser.user_id)).all()
        assert [(r.user_id, r.email) for r in rows] == [("PU1", "ann@x.example.com"), ("PU2", "bob@example.com")]
