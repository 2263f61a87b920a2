"""Migration 0004: stored calendar feed addresses are encrypted (and decrypted on downgrade)."""

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.crypto import KeyBox
from bot.store import make_engine, upgrade
from bot.store.db import current_revision, downgrade

SECRET_URL = "https://calendar.google.com/calendar/ical/a%40example.com/private-77e1c0ffee/basic.ics"


def _member_with_feed(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO connection (team_id, provider, region, name, api_key_encrypted, key_hint, "
                          "created_by, created_at) VALUES ('T1', 'pagerduty', 'us', 'PD', 'x', '…', '', "
                          "CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO schedule (team_id, name, source_schedule_id, time_zone, pattern_json, roles, "
                          "horizon_days, managers, swap_requires_consent, drift_mode, keep_provider_order, holidays, "
                          "created_by, created_at) VALUES ('T1', 'Platform', 'PS1', 'UTC', '{}', 'primary', 30, '', "
                          "false, 'alert', true, '', '', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO member (team_id, schedule_id, slack_user_id, email, name, position, ics_url, "
                          "joined_at) VALUES ('T1', (SELECT id FROM schedule), 'U1', 'a@example.com', 'A', 0, :u, "
                          "CURRENT_TIMESTAMP)"), {"u": SECRET_URL})


def test_existing_feed_addresses_are_encrypted_and_decrypted_back(db_url):
    keys = KeyBox(Fernet.generate_key().decode())
    engine = make_engine(db_url)
    upgrade(engine, "0003")
    _member_with_feed(engine)
    with pytest.raises(RuntimeError, match="needs the secret key"):
        upgrade(engine)
    assert current_revision(engine) == "0003"
    calls: list[int] = []
    upgrade(engine, "0004", keys=lambda: calls.append(1) or keys)
    assert current_revision(engine) == "0004" and calls == [1]
    with engine.connect() as conn:
        [token] = conn.execute(text("SELECT ics_url_encrypted FROM member")).scalars()
        columns = conn.execute(text("SELECT * FROM member")).keys()
    assert "ics_url" not in columns and keys.decrypt(token) == SECRET_URL
    if db_url.startswith("sqlite"):
        engine.dispose()
        database = Path(engine.url.database)
        stored = b"".join(f.read_bytes() for f in database.parent.glob(database.name + "*"))
        assert b"private-77e1c0ffee" not in stored, "the clear text is gone from the database files"
    downgrade(engine, "0003", keys=keys)
    with engine.connect() as conn:
        assert list(conn.execute(text("SELECT ics_url FROM member")).scalars()) == [SECRET_URL]
    engine.dispose()


def test_a_database_without_feeds_needs_no_key(db_url):
    engine = make_engine(db_url)
    upgrade(engine, "0004")
    assert current_revision(engine) == "0004"
    engine.dispose()
