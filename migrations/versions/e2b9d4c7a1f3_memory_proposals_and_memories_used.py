"""memory proposals ([Remember] [No]); plan versions keep the memories that shaped them

Revision ID: e2b9d4c7a1f3
Revises: e9b4c2a7d1f3
Create Date: 2026-12-02 21:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e2b9d4c7a1f3'
down_revision: str | None = 'e9b4c2a7d1f3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('memory_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_key', sa.String(length=200), nullable=False),
    sa.Column('channel_id', sa.String(length=120), nullable=False),
    sa.Column('statement', sa.String(length=500), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('taught_by', sa.String(length=200), nullable=False),
    sa.Column('taught_by_name', sa.String(length=200), nullable=False),
    sa.Column('source_message', sa.String(length=200), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('memory_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('message_channel', sa.String(length=120), nullable=False),
    sa.Column('message_id', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_key', 'taught_by', 'statement', name='uq_memory_proposals_once')
    )
    # versions stored before this column existed name no memories
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('memories_used', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.alter_column('memories_used', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_column('memories_used')
    op.drop_table('memory_proposals')
