"""team_key on every team-scoped table: a team (``platform:team_id``) is the unit of isolation

Existing rows take the team of their goal (or of the person who owns them); rows with
neither, and all of the ``local`` integration's data, belong to the shell's team
``shell:local``. Invoice numbers become unique per team.

Revision ID: e9b4c2a7d1f3
Revises: e9b4c2d7a1f3
Create Date: 2026-12-02 21:02:55
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e9b4c2a7d1f3'
down_revision: str | None = 'e9b4c2d7a1f3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCAL_TEAM = 'shell:local'
# table -> (parent table, the column naming the parent's id), in an order where the parent
# is always filled first
FROM_PARENT = {
    'plans': ('goals', 'goal_id'),
    'runs': ('goals', 'goal_id'),
    'chat_messages': ('goals', 'goal_id'),
    'thread_messages': ('goals', 'goal_id'),
    'plan_versions': ('plans', 'plan_id'),
    'steps': ('plan_versions', 'plan_version_id'),
    'approvals': ('plan_versions', 'plan_version_id'),
    'approval_reminders': ('plan_versions', 'plan_version_id'),
    'plan_previews': ('plan_versions', 'plan_version_id'),
    'step_results': ('runs', 'run_id'),
}
FROM_OWNER = ('monitors', 'credentials', 'oauth_states')
LOCAL = ('local_companies', 'local_contacts', 'local_deals', 'local_notes', 'local_events', 'local_clients',
         'local_time_entries', 'local_invoices', 'local_payments', 'local_outbox', 'local_writes')
TABLES = ('goals', *FROM_PARENT, *FROM_OWNER, 'monitor_firings', *LOCAL)


def _team_of(platform: str, team_id: str) -> str:
    if platform in ('shell', 'cli') and team_id in ('', 'local'):
        return LOCAL_TEAM
    return f'{platform}:{team_id}'


def _backfill() -> None:
    conn = op.get_bind()
    for platform, team_id in conn.execute(sa.text('SELECT DISTINCT platform, team_id FROM goals')).all():
        conn.execute(sa.text('UPDATE goals SET team_key = :team WHERE platform = :p AND team_id = :t'),
                     {'team': _team_of(platform, team_id), 'p': platform, 't': team_id})
    for table, (parent, column) in FROM_PARENT.items():
        conn.execute(sa.text(
            f'UPDATE {table} SET team_key = COALESCE((SELECT p.team_key FROM {parent} p '
            f"WHERE p.id = {table}.{column}), '{LOCAL_TEAM}')"))
    for table in FROM_OWNER:
        for (owner,) in conn.execute(sa.text(f'SELECT DISTINCT owner_key FROM {table}')).all():
            parts = owner.split(':', 2)
            team = _team_of(parts[0], parts[1]) if len(parts) == 3 else LOCAL_TEAM
            conn.execute(sa.text(f'UPDATE {table} SET team_key = :team WHERE owner_key = :o'),
                         {'team': team, 'o': owner})
    conn.execute(sa.text(
        f"UPDATE monitor_firings SET team_key = COALESCE((SELECT m.team_key FROM monitors m "
        f"WHERE m.id = monitor_firings.monitor_id), '{LOCAL_TEAM}')"))


def _drop_number_unique() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # the initial schema's constraint has no name on SQLite: name it to drop it
        with op.batch_alter_table('local_invoices', naming_convention={
                'uq': 'uq_%(table_name)s_%(column_0_name)s'}) as batch_op:
            batch_op.drop_constraint('uq_local_invoices_number', type_='unique')
    else:
        op.drop_constraint('local_invoices_number_key', 'local_invoices', type_='unique')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('team_key', sa.String(length=200), nullable=False,
                                          server_default=LOCAL_TEAM))
    _backfill()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('team_key', server_default=None)
            batch_op.create_index(batch_op.f(f'ix_{table}_team_key'), ['team_key'], unique=False)
    _drop_number_unique()
    with op.batch_alter_table('local_invoices', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_local_invoices_team_number', ['team_key', 'number'])


def downgrade() -> None:
    with op.batch_alter_table('local_invoices', schema=None) as batch_op:
        batch_op.drop_constraint('uq_local_invoices_team_number', type_='unique')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_team_key'))
            batch_op.drop_column('team_key')
    with op.batch_alter_table('local_invoices', schema=None) as batch_op:
        batch_op.create_unique_constraint('local_invoices_number_key', ['number'])
