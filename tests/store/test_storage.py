"""Tables and migrations on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.store import (
    Connection,
    DatabaseNotReady,
    Destination,
    ExportedOverride,
    Member,
    Schedule,
    Shift,
    ensure_current,
    make_engine,
    session_scope,
    upgrade,
)
from bot.store.db import current_revision, head_revision


def test_upgrade_creates_every_table_and_is_idempotent(db_url):
    engine = make_engine(db_url)
    with pytest.raises(DatabaseNotReady, match="oncall-bot db upgrade"):
        ensure_current(engine)
    upgrade(engine)
    upgrade(engine)
    ensure_current(engine)
    assert current_revision(engine) == head_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "connection", "schedule", "member", "shift", "destination", "exportedoverride",
        "timeoff", "swaprequest", "auditevent", "provideruser", "driftalert",
    } <= tables
    # a used OAuth state belongs to no workspace yet: the install it starts tells which; a rate
    # bucket belongs to an API key, whose limit holds whichever workspaces use it
    for table in tables - {"alembic_version", "oauth_states_used", "rate_bucket"}:
        assert "team_id" in {c["name"] for c in inspect(engine).get_columns(table)}, table
    engine.dispose()


def _schedule_with_shift(session: Session, team: str = "T1") -> Shift:
    conn = Connection(team_id=team, provider="pagerduty", name="PD", api_key_encrypted="x", key_hint="…abcd")
    session.add(conn)
    session.flush()
    sched = Schedule(team_id=team, name="Platform", connection_id=conn.id, time_zone="Europe/Berlin")
    session.add(sched)
    session.flush()
    member = Member(team_id=team, schedule_id=sched.id, email="a@example.com", slack_user_id="UA")
    session.add(member)
    session.flush()
    start = datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    shift = Shift(team_id=team, schedule_id=sched.id, start=start, end=start + timedelta(days=1), member_id=member.id)
    session.add(shift)
    session.flush()
    return shift


def test_rows_round_trip_with_aware_utc_datetimes(any_engine):
    with session_scope(any_engine) as session:
        shift = _schedule_with_shift(session)
        dest = Destination(team_id="T1", schedule_id=shift.schedule_id, connection_id=1, provider_schedule_id="P1")
        session.add(dest)
        session.flush()
        session.add(ExportedOverride(team_id="T1", destination_id=dest.id, shift_id=shift.id, override_id="O1",
                                     user_id="U1", start=shift.start, end=shift.end))
    with Session(any_engine) as session:
        got = session.exec(select(Shift)).one()
        assert got.start == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
        assert got.start.tzinfo is not None
        assert session.exec(select(ExportedOverride)).one().end == got.end


def test_naive_datetimes_are_refused(any_engine):
    with pytest.raises(Exception, match="naive datetime"), session_scope(any_engine) as session:
        shift = _schedule_with_shift(session)
        shift.end = datetime(2026, 1, 1)
        session.flush()


def test_one_shift_per_schedule_role_and_start(any_engine):
    with pytest.raises(IntegrityError), session_scope(any_engine) as session:
        shift = _schedule_with_shift(session)
        session.add(Shift(team_id="T1", schedule_id=shift.schedule_id, start=shift.start, end=shift.end))
        session.flush()


def test_existing_data_survives_a_second_upgrade(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with session_scope(engine) as session:
        _schedule_with_shift(session)
    upgrade(engine)
    with Session(engine) as session:
        assert len(session.exec(select(Shift)).all()) == 1
    engine.dispose()


def test_connection_repr_hides_the_encrypted_key():
    conn = Connection(team_id="T", provider="opsgenie", name="OG", api_key_encrypted="gAAAAsecret", key_hint="…wxyz")
    assert "gAAAAsecret" not in repr(conn)
    assert "…wxyz" in repr(conn)
