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


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, ics_url FROM member WHERE ics_url IS NOT NULL")).all()
    keys = _keys() if rows else None  # before any change: SQLite does not roll DDL back
    _secure_delete()
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_url_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('ics_status', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('ics_checked_at', bot.store.types.UTCDateTime(timezone=True), nullable=True))
    if keys is not None:
        for row_id, url in rows:
            bind.execute(sa.text("UPDATE member SET ics_url_encrypted = :e, ics_url = NULL WHERE id = :i"),
                         {"e": keys.encrypt(url), "i": row_id})
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('ics_url')


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, ics_url_encrypted FROM member WHERE ics_url_encrypted IS NOT NULL")).all()
    keys = _keys() if rows else None
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_url', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    if keys is not None:
        for row_id, token in rows:
            bind.execute(sa.text("UPDATE member SET ics_url = :u WHERE id = :i"),
                         {"u": keys.decrypt(token), "i": row_id})
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('ics_checked_at')
        batch_op.drop_column('ics_status')
        batch_op.drop_column('ics_url_encrypted')
