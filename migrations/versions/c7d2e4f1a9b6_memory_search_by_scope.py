"""team memory: the SQLite full-text index also holds each memory's scope

memories_fts gains a column `scopes` (one token per memory: "k" + hex of team|scope|key), so
a search intersects the requester's scopes with each word inside FTS5 and stops at the newest
matches; see bot/store/memory_search.py. PostgreSQL is unchanged (its planner combines the
GIN index with the scope filter). The statements are copied here so migrations import no app code.

Revision ID: c7d2e4f1a9b6
Revises: a1f0c3d9e8b7
Create Date: 2026-12-02 18:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'c7d2e4f1a9b6'
down_revision: str | None = 'a1f0c3d9e8b7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGERS = ("memories_fts_insert", "memories_fts_update", "memories_fts_delete")


def _create(with_scopes: bool) -> None:
    scope = ", 'k' || hex(new.team_key || '|' || new.scope || '|' || new.scope_key)" if with_scopes else ""
    columns = "body, scopes" if with_scopes else "body"
    entry = f"new.id, new.subject || ' ' || new.text{scope}"
    op.execute(f"CREATE VIRTUAL TABLE memories_fts USING fts5({columns}, tokenize='porter unicode61')")
    op.execute("CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories "
               "WHEN new.valid_to IS NULL AND new.forgotten_at IS NULL BEGIN "
               f"INSERT INTO memories_fts(rowid, {columns}) VALUES ({entry}); END")
    op.execute("CREATE TRIGGER memories_fts_update AFTER UPDATE ON memories BEGIN "
               "DELETE FROM memories_fts WHERE rowid = old.id; "
               f"INSERT INTO memories_fts(rowid, {columns}) SELECT {entry} "
               "WHERE new.valid_to IS NULL AND new.forgotten_at IS NULL; END")
    op.execute("CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
               "DELETE FROM memories_fts WHERE rowid = old.id; END")
    op.execute(f"INSERT INTO memories_fts(rowid, {columns}) SELECT {entry.replace('new.', '')} FROM memories "
               "WHERE valid_to IS NULL AND forgotten_at IS NULL")


def _drop() -> None:
    for trigger in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS memories_fts")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop()
        _create(with_scopes=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop()
        _create(with_scopes=False)
