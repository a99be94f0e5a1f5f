"""audit records name the master key whose derived key signed them (HMAC chain)

Revision ID: d5a8f2c61e07
Revises: c41d7e9a0b3f
Create Date: 2026-12-02 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd5a8f2c61e07'
down_revision: str | None = 'c41d7e9a0b3f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # existing records stay plain SHA-256 (key_id NULL) until `deputy audit reseal` signs them
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('key_id')
