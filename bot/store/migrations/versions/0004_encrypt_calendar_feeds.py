"""calendar feeds: addresses encrypted at rest (like API keys), status of the last read

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 08:30:00

The existing `member.ics_url` values are encrypted into `ics_url_encrypted` with the bot's
secret key (`config.attributes["keys"]`: a KeyBox, or a function returning one, passed by
`bot.store.db.upgrade`), and the clear column is dropped; downgrade decrypts them back. On SQLite
`secure_delete` overwrites the freed clear text; on PostgreSQL run `VACUUM FULL member` afterwards
to drop the old row versions from disk.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

import bot.store.types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keys():
    keys = context.config.attributes.get("keys")
    keys = keys() if callable(keys) else keys
    if keys is None:
        raise RuntimeError("Migration 0004 encrypts stored calendar feed addresses and needs the secret key: "
                           "run it with `oncall-bot db upgrade`.")
    return keys


def _secure_delete() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")


def _rows(column: str) -> list:
    return op.get_bind().execute(sa.text(f"SELECT id, {column} FROM member WHERE {column} IS NOT NULL")).all()


def _copy(rows: list, target: str, source: str, convert) -> None:
    """Write convert(value) of each row into `target`, clearing `source`."""
    for row_id, value in rows:
        op.get_bind().execute(sa.text(f"UPDATE member SET {target} = :v, {source} = NULL WHERE id = :i"),
                              {"v": convert(value), "i": row_id})


def upgrade() -> None:
    rows = _rows("ics_url")
    keys = _keys() if rows else None  # before any change: SQLite does not roll DDL back
    _secure_delete()
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_url_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('ics_status', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('ics_checked_at', bot.store.types.UTCDateTime(timezone=True), nullable=True))
    if keys is not None:
        _copy(rows, "ics_url_encrypted", "ics_url", keys.encrypt)
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('ics_url')


def downgrade() -> None:
    rows = _rows("ics_url_encrypted")
    keys = _keys() if rows else None
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_url', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    if keys is not None:
        _copy(rows, "ics_url", "ics_url_encrypted", keys.decrypt)
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('ics_checked_at')
        batch_op.drop_column('ics_status')
        batch_op.drop_column('ics_url_encrypted')
