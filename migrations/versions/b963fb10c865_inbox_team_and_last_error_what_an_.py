"""inbox team and last_error: what an operator reads of a failed request (`deputy planner
failed`): the workspace it came from and the class of the last attempt's error, in clear;
the request itself stays sealed

Revision ID: b963fb10c865
Revises: f2d004523e86
Create Date: 2026-12-03 07:51:31.003079
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b963fb10c865'
down_revision: str | None = 'f2d004523e86'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('team')
