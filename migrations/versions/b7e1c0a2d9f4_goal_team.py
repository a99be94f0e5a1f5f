"""goals record their team (Slack workspace / Discord guild)

Revision ID: b7e1c0a2d9f4
Revises: 4925113fc2cd
Create Date: 2026-12-02 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7e1c0a2d9f4'
down_revision: str | None = '4925113fc2cd'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.String(length=80), nullable=False, server_default=''))
    # existing goals: the team is the middle part of the requester's key platform:team:user
    goals = sa.table('goals', sa.column('id', sa.Integer()), sa.column('requester_key', sa.String()),
                     sa.column('team_id', sa.String()))
    conn = op.get_bind()
    for goal_id, key in conn.execute(sa.select(goals.c.id, goals.c.requester_key)).all():
        team = key.split(':', 2)[1] if key.count(':') >= 2 else ''
        conn.execute(goals.update().where(goals.c.id == goal_id).values(team_id=team))
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.alter_column('team_id', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_column('team_id')
