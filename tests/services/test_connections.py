"""Removing a connection: the real service on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.services.connections import remove_connection
from bot.services.errors import InUse
from bot.services.unlink import unlink_schedule
from bot.store import AuditEvent, Connection, Destination, ProviderUser, Schedule, session_scope


def _ctx(engine) -> Context:
    return Context(settings=Settings.from_env({}), engine=engine, keys=KeyBox(Fernet.generate_key().decode()))


def _linked(ctx: Context) -> tuple[int, int]:
    """A connection with cached provider users and a schedule linked from (and exported to) it."""
    with session_scope(ctx.engine) as session:
        conn = Connection(team_id="T1", provider="pagerduty", region="us", name="Acme PD",
                          api_key_encrypted=ctx.keys.encrypt("k"), key_hint="…cdef", can_write=True)
        session.add(conn)
        session.flush()
        for i in range(3):
            session.add(ProviderUser(team_id="T1", connection_id=conn.id, user_id=f"PU{i}",
                                     email=f"u{i}@example.com", name=f"User {i}"))
        sched = Schedule(team_id="T1", name="Platform", connection_id=conn.id, source_schedule_id="PS1")
        session.add(sched)
        session.flush()
        session.add(Destination(team_id="T1", schedule_id=sched.id, connection_id=conn.id,
                                provider_schedule_id="PS1"))
        return conn.id, sched.id


def test_removing_a_connection_after_unlinking_its_schedule(any_engine):
    ctx = _ctx(any_engine)
    conn_id, sched_id = _linked(ctx)
    with pytest.raises(InUse):
        remove_connection(ctx, "T1", conn_id, "U1")
    unlink_schedule(ctx, "T1", sched_id, "U1")

    assert remove_connection(ctx, "T1", conn_id, "U1") == "Acme PD"

    with session_scope(any_engine) as session:
        assert session.get(Connection, conn_id) is None
        assert session.exec(select(ProviderUser)).all() == []
        assert [e.action for e in session.exec(select(AuditEvent))][-1] == "connection.remove"


def test_removal_refused_while_in_use_keeps_the_cached_users(any_engine):
    ctx = _ctx(any_engine)
    conn_id, _ = _linked(ctx)
    with pytest.raises(InUse):
        remove_connection(ctx, "T1", conn_id, "U1")
    with session_scope(any_engine) as session:
        assert session.get(Connection, conn_id) is not None
        assert len(session.exec(select(ProviderUser)).all()) == 3
