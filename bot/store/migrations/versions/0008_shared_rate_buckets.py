"""shared rate buckets: one token bucket per provider account, shared by every replica

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:30:00

`rate_bucket` holds each account's bucket (`bot.sync.shared_bucket`): key = provider and a
digest of the API key (never the key), tokens left, and when (epoch seconds on the database's
clock) they were counted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_bucket",
        sa.Column("key", sa.String(length=100), primary_key=True),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_bucket")
