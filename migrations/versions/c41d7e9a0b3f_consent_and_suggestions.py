"""plan versions changed by others need the requester's consent; thread messages keep
their author, platform event id (replays are one reply) and suggestion state

Revision ID: c41d7e9a0b3f
Revises: b7e1c0a2d9f4
Create Date: 2026-12-02 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c41d7e9a0b3f'
down_revision: str | None = 'b7e1c0a2d9f4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requester_consent', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.alter_column('requester_consent', server_default=None)
    with op.batch_alter_table('thread_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('source_event_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default=''))
        batch_op.create_unique_constraint('uq_thread_messages_event', ['goal_id', 'source_event_id'])
    with op.batch_alter_table('thread_messages', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('thread_messages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_thread_messages_event', type_='unique')
        batch_op.drop_column('status')
        batch_op.drop_column('source_event_id')
        batch_op.drop_column('author_key')
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_column('requester_consent')
