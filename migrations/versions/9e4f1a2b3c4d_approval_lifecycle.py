"""approval lifecycle: plan previews, approval reminders, autopilot trust

Revision ID: 9e4f1a2b3c4d
Revises: 7c1d2e3f4a5b
Create Date: 2026-11-27 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9e4f1a2b3c4d'
down_revision: str | None = '7c1d2e3f4a5b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('autopilot_trust',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_key', sa.String(length=200), nullable=False),
    sa.Column('shape', sa.String(length=64), nullable=False),
    sa.Column('successes', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_key', 'shape', name='uq_autopilot_trust')
    )
    op.create_table('plan_previews',
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('outputs', sa.JSON(), nullable=False),
    sa.Column('write_hash', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], ),
    sa.PrimaryKeyConstraint('plan_version_id')
    )
    op.create_table('approval_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_version_id', 'kind', name='uq_approval_reminders')
    )
    with op.batch_alter_table('approval_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_reminders_plan_version_id'), ['plan_version_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('approval_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_reminders_plan_version_id'))
    op.drop_table('approval_reminders')
    op.drop_table('plan_previews')
    op.drop_table('autopilot_trust')
