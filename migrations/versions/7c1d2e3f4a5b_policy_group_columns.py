"""goals.requester_groups and approvals.groups (the policy language's platform groups)

The models gained these columns with the policy language; without them every goal fails
on a database built by migrations (the embedded default of ``deputy serve``).

Revision ID: 7c1d2e3f4a5b
Revises: 46feb584f5b0
Create Date: 2026-11-27 11:41:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7c1d2e3f4a5b'
down_revision: str | None = '46feb584f5b0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # existing rows had no groups recorded: an empty list, as the models default to
    with op.batch_alter_table('goals') as batch:
        batch.add_column(sa.Column('requester_groups', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('approvals') as batch:
        batch.add_column(sa.Column('groups', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('approvals') as batch:
        batch.drop_column('groups')
    with op.batch_alter_table('goals') as batch:
        batch.drop_column('requester_groups')
