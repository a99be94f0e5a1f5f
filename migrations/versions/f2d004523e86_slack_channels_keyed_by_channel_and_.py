"""slack_channels keyed by (channel, workspace): a Slack Connect channel has a row per workspace

A channel shared by two workspaces (Slack Connect) was bound to the workspace heard first, so
a post there for the other workspace's team went out with the first one's token. Each
workspace heard in a channel now has its row (primary key ``channel_id, team_id``); existing
rows keep theirs. The downgrade keeps the workspace heard first in each channel.

Revision ID: f2d004523e86
Revises: 62d83908dece
Create Date: 2026-12-03 06:56:51.826625
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f2d004523e86'
down_revision: str | None = '62d83908dece'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PKEY = 'slack_channels_pkey'


def _primary_key(columns: list[str]) -> None:
    if op.get_context().dialect.name == 'sqlite':
        # SQLite cannot alter a primary key: batch mode copies the table into this one
        with op.batch_alter_table('slack_channels', recreate='always', copy_from=_table(columns)):
            pass
    else:
        op.drop_constraint(PKEY, 'slack_channels', type_='primary')
        op.create_primary_key(PKEY, 'slack_channels', columns)


def _table(key: list[str]) -> sa.Table:
    """slack_channels as the models have it, with this primary key."""
    return sa.Table(
        'slack_channels', sa.MetaData(),
        sa.Column('channel_id', sa.String(length=120), nullable=False),
        sa.Column('team_id', sa.String(length=80), nullable=False),
        sa.Column('enterprise_id', sa.String(length=80), nullable=True),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('team_key', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=PKEY),
        sa.Index('ix_slack_channels_team_id', 'team_id'),
        sa.Index('ix_slack_channels_enterprise_id', 'enterprise_id'),
        sa.Index('ix_slack_channels_team_key', 'team_key'))


def upgrade() -> None:
    _primary_key(['channel_id', 'team_id'])


def downgrade() -> None:
    # one row per channel again: the workspace heard there first
    op.execute("DELETE FROM slack_channels WHERE EXISTS (SELECT 1 FROM slack_channels AS first "
               "WHERE first.channel_id = slack_channels.channel_id AND (first.seen_at < slack_channels.seen_at "
               "OR (first.seen_at = slack_channels.seen_at AND first.team_id < slack_channels.team_id)))")
    _primary_key(['channel_id'])
