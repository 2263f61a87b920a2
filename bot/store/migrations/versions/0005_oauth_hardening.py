"""oauth hardening: token columns wide enough for ciphertext; used OAuth states

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:10:00

The Slack installation tables' token columns become Text (tokens are now stored encrypted by
`bot.store.slack_oauth.EncryptedInstallationStore`, and a Fernet token of a rotating Slack token
exceeds the 200 characters slack-sdk declares). `oauth_states_used` makes each OAuth `state`
single-use across replicas (`bot.oauth_state`). Clear tokens already stored keep working and are
encrypted at the next save.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = {
    "slack_bots": ("bot_token", "bot_refresh_token"),
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token",
                            "incoming_webhook_url"),
}


def upgrade() -> None:
    for table, columns in TOKENS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.String(length=200), type_=sa.Text(),
                                      existing_nullable=True)
    op.create_table(
        "oauth_states_used",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", bot.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("oauth_states_used", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_states_used_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oauth_states_used", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_states_used_expires_at"))
    op.drop_table("oauth_states_used")
    # encrypted tokens longer than 200 characters do not fit back: reinstall the app after downgrading
    for table, columns in TOKENS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=200),
                                      existing_nullable=True)
