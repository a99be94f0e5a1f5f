"""plan versions keep the past runs they reuse, so every drawing of the card names them

Revision ID: 97ca60bae64f
Revises: f1c8a4d2b6e9
Create Date: 2026-12-03 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '97ca60bae64f'
down_revision: str | tuple[str, ...] | None = 'f1c8a4d2b6e9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # versions stored before this column existed name no past run
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runs_used', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.alter_column('runs_used', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_column('runs_used')
