"""plan versions remember which model planned them, so every redraw of the card says so

Revision ID: a3c9e5f17b20
Revises: f6a3be6d62a3
Create Date: 2026-12-02 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a3c9e5f17b20'
down_revision: str | None = 'f6a3be6d62a3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # versions planned before this column existed say nothing about their planner
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_by', sa.String(), nullable=False, server_default=''))
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.alter_column('planned_by', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_column('planned_by')
