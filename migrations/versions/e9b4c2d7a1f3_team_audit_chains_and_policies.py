"""audit records carry their team's chain; teams' policies stored with their history

Revision ID: e9b4c2d7a1f3
Revises: d8e3f5a2b1c4
Create Date: 2026-12-02 21:10:00

Existing audit records keep ``team_key`` NULL: they were written as one chain across every
team, each hash covering the record before it whatever its team, so they stay the start of
the operator/system chain (no team) and verify exactly as before. Assigning them to teams
would cut that chain into pieces none of which verifies. Records written from now on go to
their team's own chain, which starts at the genesis hash.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e9b4c2d7a1f3'
down_revision: str | None = 'd8e3f5a2b1c4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_key', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_audit_log_team_seq', ['team_key', 'seq'], unique=False)
    op.create_table(
        'team_policies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_key', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('yaml', sa.String(), nullable=False),
        sa.Column('set_by', sa.String(length=200), nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('team_key', 'version', name='uq_team_policies_version'),
    )


def downgrade() -> None:
    op.drop_table('team_policies')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_team_seq')
        batch_op.drop_column('team_key')
