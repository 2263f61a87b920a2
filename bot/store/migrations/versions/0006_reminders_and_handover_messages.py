"""reminders and handover messages (issue 14)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:20:31.575019

`reminderpref`: a person's reminder offsets (no row: the defaults). `remindersent` and
`handoversent`: each reminder and handover message is claimed (unique row) before it is sent, so
several replicas and restarts send it once. `schedule.handover_messages`: on for every schedule.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reminderpref',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('slack_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('offsets', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'slack_user_id')
    )
    with op.batch_alter_table('reminderpref', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminderpref_team_id'), ['team_id'], unique=False)

    op.create_table('remindersent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('slack_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('offset', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('due_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shift_id', 'slack_user_id', 'offset')
    )
    with op.batch_alter_table('remindersent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remindersent_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_remindersent_team_id'), ['team_id'], unique=False)

    op.create_table('handoversent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedule.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('schedule_id', 'at')
    )
    with op.batch_alter_table('handoversent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoversent_schedule_id'), ['schedule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoversent_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handover_messages', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))



def downgrade() -> None:
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_column('handover_messages')

    with op.batch_alter_table('handoversent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoversent_team_id'))
        batch_op.drop_index(batch_op.f('ix_handoversent_schedule_id'))

    op.drop_table('handoversent')
    with op.batch_alter_table('remindersent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remindersent_team_id'))
        batch_op.drop_index(batch_op.f('ix_remindersent_shift_id'))

    op.drop_table('remindersent')
    with op.batch_alter_table('reminderpref', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminderpref_team_id'))

    op.drop_table('reminderpref')
