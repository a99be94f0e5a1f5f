"""team_key on slack_channels: a channel Deputy heard from belongs to its workspace's team

Existing rows take ``slack:<team_id>``, the team key of the workspace they were heard from.

Revision ID: f1a7c3e9b2d4
Revises: f1a2b3c4d5e6
Create Date: 2026-12-03 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f1a7c3e9b2d4'
down_revision: str | None = 'f1a2b3c4d5e6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('slack_channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_key', sa.String(length=200), nullable=False, server_default=''))
    op.execute("UPDATE slack_channels SET team_key = 'slack:' || team_id")
    with op.batch_alter_table('slack_channels', schema=None) as batch_op:
        batch_op.alter_column('team_key', server_default=None)
        batch_op.create_index(batch_op.f('ix_slack_channels_team_key'), ['team_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('slack_channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_channels_team_key'))
        batch_op.drop_column('team_key')
