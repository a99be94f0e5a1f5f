"""inbox leases: a planner leases the requests it takes (claimed_by, lease_until), renews and
deletes them when done; attempts bound the redos, progress notes what an attempt posted,
failed_at marks a request given up

Revision ID: 62d83908dece
Revises: 97ca60bae64f
Create Date: 2026-12-03 06:57:38.742462
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '62d83908dece'
down_revision: str | None = '97ca60bae64f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('progress', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_column('failed_at')
        batch_op.drop_column('progress')
        batch_op.drop_column('attempts')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
