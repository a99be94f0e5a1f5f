"""slack distribution: installations, install links, channel → workspace

Revision ID: e9b4c1d7a2f0
Revises: e2b9d4c7a1f3, e4b9c2d7a1f3
Create Date: 2026-12-02 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e9b4c1d7a2f0'
# also joins the two heads main had (memory proposals, teams table) into one
down_revision: str | tuple[str, ...] | None = ('e2b9d4c7a1f3', 'e4b9c2d7a1f3')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slack_installations',
    sa.Column('install_key', sa.String(length=170), nullable=False),
    sa.Column('team_key', sa.String(length=200), nullable=False),
    sa.Column('enterprise_id', sa.String(length=80), nullable=True),
    sa.Column('team_id', sa.String(length=80), nullable=True),
    sa.Column('is_enterprise_install', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('install_key')
    )
    with op.batch_alter_table('slack_installations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_installations_team_key'), ['team_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_slack_installations_enterprise_id'), ['enterprise_id'], unique=False)
    op.create_table('slack_install_states',
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('state_hash')
    )
    with op.batch_alter_table('slack_install_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_install_states_expires_at'), ['expires_at'], unique=False)
    op.create_table('slack_channels',
    sa.Column('channel_id', sa.String(length=120), nullable=False),
    sa.Column('team_id', sa.String(length=80), nullable=False),
    sa.Column('enterprise_id', sa.String(length=80), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel_id')
    )
    with op.batch_alter_table('slack_channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_channels_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_slack_channels_enterprise_id'), ['enterprise_id'], unique=False)


def downgrade() -> None:
    for table, columns in (('slack_channels', ('team_id', 'enterprise_id')),
                           ('slack_install_states', ('expires_at',)),
                           ('slack_installations', ('team_key', 'enterprise_id'))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
        op.drop_table(table)
