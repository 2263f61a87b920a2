"""on-call user group per schedule; audit events indexed by workspace and time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00

`schedule.usergroup_*` hold the Slack user group whose members are who is on call now
(`bot.services.oncall_group`); `ix_auditevent_team_id_at` serves `/oncall history` (newest first
per workspace).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usergroup_handle", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("usergroup_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("usergroup_members", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("usergroup_status", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.create_index("ix_auditevent_team_id_at", ["team_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_index("ix_auditevent_team_id_at")
    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.drop_column("usergroup_status")
        batch_op.drop_column("usergroup_members")
        batch_op.drop_column("usergroup_id")
        batch_op.drop_column("usergroup_handle")
