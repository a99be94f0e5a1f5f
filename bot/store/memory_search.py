"""Full-text retrieval of team memories: SQLite FTS5 on the embedded default, PostgreSQL
``tsvector`` with a GIN index in production, behind one function, :func:`search`.

Only *current* memories are indexed: on SQLite, triggers keep ``memories_fts`` holding the
rows that are neither superseded nor forgotten; on PostgreSQL the GIN index on the generated
``memories.search`` column is partial (same condition). Expiry depends on the clock, so it is
filtered at query time, with the scope (the requester's own, the channel's, the team's).
Both split "ap@acme.example" into its words, so an address is found by its domain's name.

The index objects are created by the migration ``a1f0c3d9e8b7`` and, for databases built
from the models (tests, benchmarks), by the ``after_create`` hooks below. They are not part
of the models: :func:`outside_the_models` tells Alembic's comparison to leave them alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import DDL, ColumnElement, column, event, func, literal_column, table, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.memories import MemoryRow, Visibility, _live, _visible
from bot.store.tables import utcnow

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE memories_fts USING fts5(body, tokenize='porter unicode61')",
    # a row enters the index when stored current, and leaves it when superseded or forgotten
    "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories "
    "WHEN new.valid_to IS NULL AND new.forgotten_at IS NULL BEGIN "
    "INSERT INTO memories_fts(rowid, body) VALUES (new.id, new.subject || ' ' || new.text); END",
    "CREATE TRIGGER memories_fts_update AFTER UPDATE ON memories BEGIN "
    "DELETE FROM memories_fts WHERE rowid = old.id; "
    "INSERT INTO memories_fts(rowid, body) SELECT new.id, new.subject || ' ' || new.text "
    "WHERE new.valid_to IS NULL AND new.forgotten_at IS NULL; END",
    "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
    "DELETE FROM memories_fts WHERE rowid = old.id; END",
)
POSTGRESQL_DDL = (
    "ALTER TABLE memories ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english'::regconfig, translate(subject || ' ' || text, '@./', '   '))) STORED",
    "CREATE INDEX ix_memories_search ON memories USING gin (search) "
    "WHERE valid_to IS NULL AND forgotten_at IS NULL",
)
_TABLES = frozenset({"memories_fts", "memories_fts_data", "memories_fts_idx", "memories_fts_content",
                     "memories_fts_docsize", "memories_fts_config"})

_MEMORIES = MemoryRow.metadata.tables["memories"]
for _statement in SQLITE_DDL:
    event.listen(_MEMORIES, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_DDL:
    event.listen(_MEMORIES, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


def outside_the_models(name: str | None, type_: str, parents: dict[str, Any]) -> bool:
    """Alembic ``include_name``: False for the search index objects, which no model describes."""
    if type_ == "table":
        return name not in _TABLES
    if type_ == "column" and parents.get("table_name") == "memories":
        return name != "search"
    if type_ == "index":
        return name != "ix_memories_search"
    return True


def terms(said: str) -> list[str]:
    """The plain words of ``said`` (letters and digits only, so no query syntax gets through)."""
    seen: dict[str, None] = {}
    for word in re.findall(r"[a-z0-9]+", said.lower()):
        seen.setdefault(word, None)
    return list(seen)


_FTS = table("memories_fts", column("rowid"), column("rank"))


async def search(session: AsyncSession, seen: Visibility, words: Iterable[str], *,
                 every: bool = False, limit: int = 50) -> list[MemoryRow]:
    """The current memories ``seen`` may use that mention any (``every``: all) of ``words``,
    best match first. Words are reduced to letters and digits; none left, nothing found."""
    plain = [t for w in words for t in terms(w)]
    if not plain:
        return []
    scoped = [*_visible(seen), *_live(utcnow())]
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        query = func.websearch_to_tsquery("english", (" " if every else " or ").join(plain))
        vector: ColumnElement[Any] = literal_column("memories.search")
        found = (select(MemoryRow).where(vector.op("@@")(query), *scoped)
                 .order_by(func.ts_rank(vector, query).desc(), col(MemoryRow.id).desc()).limit(limit))
    else:
        match = (" AND " if every else " OR ").join(f'"{t}"' for t in plain)
        found = (select(MemoryRow).join(_FTS, _FTS.c.rowid == MemoryRow.id)
                 .where(text("memories_fts MATCH :match").bindparams(match=match), *scoped)
                 .order_by(_FTS.c.rank, col(MemoryRow.id).desc()).limit(limit))
    return list((await session.exec(found)).all())
