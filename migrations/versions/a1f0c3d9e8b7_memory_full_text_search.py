"""team memory: full-text search (SQLite FTS5, PostgreSQL tsvector + GIN)

Only current memories (not superseded, not forgotten) are indexed: on SQLite, triggers keep
memories_fts in step with memories; on PostgreSQL, the GIN index on the generated column
memories.search is partial. The same statements are in bot/store/memory_search.py (for
databases built from the models); they are copied here so migrations import no app code.

Revision ID: a1f0c3d9e8b7
Revises: a3c9e5f17b20
Create Date: 2026-12-02 18:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'a1f0c3d9e8b7'
down_revision: str | None = 'a3c9e5f17b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE = (
    "CREATE VIRTUAL TABLE memories_fts USING fts5(body, tokenize='porter unicode61')",
    "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories "
    "WHEN new.valid_to IS NULL AND new.forgotten_at IS NULL BEGIN "
    "INSERT INTO memories_fts(rowid, body) VALUES (new.id, new.subject || ' ' || new.text); END",
    "CREATE TRIGGER memories_fts_update AFTER UPDATE ON memories BEGIN "
    "DELETE FROM memories_fts WHERE rowid = old.id; "
    "INSERT INTO memories_fts(rowid, body) SELECT new.id, new.subject || ' ' || new.text "
    "WHERE new.valid_to IS NULL AND new.forgotten_at IS NULL; END",
    "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
    "DELETE FROM memories_fts WHERE rowid = old.id; END",
    # the memories stored before this revision
    "INSERT INTO memories_fts(rowid, body) SELECT id, subject || ' ' || text FROM memories "
    "WHERE valid_to IS NULL AND forgotten_at IS NULL",
)
_POSTGRESQL = (
    "ALTER TABLE memories ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english'::regconfig, translate(subject || ' ' || text, '@./', '   '))) STORED",
    "CREATE INDEX ix_memories_search ON memories USING gin (search) "
    "WHERE valid_to IS NULL AND forgotten_at IS NULL",
)


def upgrade() -> None:
    for statement in _SQLITE if op.get_bind().dialect.name == "sqlite" else _POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("memories_fts_insert", "memories_fts_update", "memories_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS memories_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_memories_search")
        op.execute("ALTER TABLE memories DROP COLUMN IF EXISTS search")
