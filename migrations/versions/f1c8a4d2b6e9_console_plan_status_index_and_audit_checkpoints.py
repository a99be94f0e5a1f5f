"""web console: plan versions by status, audit chains' verified checkpoints

Revision ID: f1c8a4d2b6e9
Revises: c7d2e8f4a1b6
Create Date: 2026-12-03 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f1c8a4d2b6e9'
down_revision: str | tuple[str, ...] | None = 'c7d2e8f4a1b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.create_index('ix_plan_versions_status', ['status'], unique=False)
    op.create_table('audit_checkpoints',
    sa.Column('chain', sa.String(length=200), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('full_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('full_ok', sa.Boolean(), nullable=False),
    sa.Column('full_first_bad', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('chain')
    )


def downgrade() -> None:
    op.drop_table('audit_checkpoints')
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_versions_status')
