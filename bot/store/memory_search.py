"""Full-text retrieval of team memories: SQLite FTS5 on the embedded default, PostgreSQL
``tsvector`` with a GIN index in production, behind one function, :func:`search`.

Only *current* memories are indexed: on SQLite, triggers keep ``memories_fts`` holding the
rows that are neither superseded nor forgotten, each with its scope as one token (so FTS5
intersects the requester's scopes with a word); on PostgreSQL the GIN index on the generated
``memories.search`` column is partial (same condition), and the planner adds the scope
filter. Expiry depends on the clock, so it is filtered at query time too.
Both split "ap@acme.example" into its words, so an address is found by its domain's name.

The index objects are created by the migrations ``a1f0c3d9e8b7`` and ``c7d2e4f1a9b6`` and, for databases built
from the models (tests, benchmarks), by the ``after_create`` hooks below. They are not part
of the models: :func:`outside_the_models` tells Alembic's comparison to leave them alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    DDL,
    ColumnElement,
    String,
    bindparam,
    column,
    event,
    func,
    literal_column,
    table,
    text,
    union,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.store.memories import MemoryRow, Visibility, _live, _visible_to
from bot.store.tables import utcnow
from bot.store.types import UTCDateTime

# the scope as one token ("k" + hex of team|scope|key), so FTS5 intersects it with the words
_SCOPE_TOKEN = "'k' || hex(new.team_key || '|' || new.scope || '|' || new.scope_key)"
_ENTRY = f"new.id, new.subject || ' ' || new.text, {_SCOPE_TOKEN}"
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE memories_fts USING fts5(body, scopes, tokenize='porter unicode61')",
    # a row enters the index when stored current, and leaves it when superseded or forgotten
    "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories "
    "WHEN new.valid_to IS NULL AND new.forgotten_at IS NULL BEGIN "
    f"INSERT INTO memories_fts(rowid, body, scopes) VALUES ({_ENTRY}); END",
    "CREATE TRIGGER memories_fts_update AFTER UPDATE ON memories BEGIN "
    "DELETE FROM memories_fts WHERE rowid = old.id; "
    f"INSERT INTO memories_fts(rowid, body, scopes) SELECT {_ENTRY} "
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


_FTS = table("memories_fts", column("rowid"))
PER_WORD = 25


def _scope_tokens(seen: Visibility) -> str:
    keys = (f"{seen.team_key}|team|", f"{seen.team_key}|channel|{seen.channel_id}",
            f"{seen.team_key}|person|{seen.actor_key}")
    return " OR ".join(f'"k{k.encode().hex().upper()}"' for k in keys)


def _fts_match(scopes: str, group: list[str]) -> str:
    words = " AND ".join(f'"{t}"' for t in group)
    return f"scopes : ({scopes}) AND body : ({words})"


def _newest(match: Any, limit: int, *where: Any) -> Any:
    return select(col(MemoryRow.id).label("id")).where(match, *where).order_by(
        col(MemoryRow.id).desc()).limit(limit).subquery()


async def search(session: AsyncSession, seen: Visibility, words: Iterable[str], *,
                 every: bool = False, limit: int = 50) -> list[MemoryRow]:
    """The current memories ``seen`` may use that mention any (``every``: all) of ``words``:
    for each word, its newest ``PER_WORD`` matches (``every``: the newest ``limit`` matching
    all), newest first. Each word costs one index look-up that stops at its limit, so a
    common word does not make the search slower. Words are reduced to letters and digits;
    none left, nothing found."""
    plain = [t for w in words for t in terms(w)]
    if not plain:
        return []
    groups = [plain] if every else [[t] for t in plain]
    bind = session.bind
    dialect = bind.dialect.name if bind is not None else ""
    params: dict[str, Any] = {"team_key": seen.team_key, "channel_id": seen.channel_id,
                              "actor_key": seen.actor_key, "now": utcnow()}
    if dialect == "postgresql":
        params.update({f"w{n}": " ".join(group) for n, group in enumerate(groups)})
    else:
        scopes = _scope_tokens(seen)
        params.update({f"w{n}": _fts_match(scopes, group) for n, group in enumerate(groups)})
    query = _search_statement(dialect == "postgresql", len(groups), every, limit)
    return list((await session.exec(query, params=params)).all())


# the statement for a number of words, built once (bound parameters: the words, who asks, now)
# and kept: built per goal, it was ~70 objects in cycles each time, garbage the planner's
# collector then walked
_SCOPED = [*_visible_to(bindparam("team_key", type_=String), bindparam("channel_id", type_=String),
                        bindparam("actor_key", type_=String)), *_live(bindparam("now", type_=UTCDateTime))]


@functools.lru_cache(maxsize=256)
def _search_statement(postgresql: bool, groups: int, every: bool, limit: int) -> SelectOfScalar[MemoryRow]:
    per_group = limit if every else PER_WORD
    if postgresql:
        vector: ColumnElement[Any] = literal_column("memories.search")
        found = [_newest(vector.op("@@")(func.plainto_tsquery("english", bindparam(f"w{n}", type_=String))),
                         per_group, *_SCOPED) for n in range(groups)]
    else:
        found = [select(_FTS.c.rowid.label("id")).where(text(f"memories_fts MATCH :w{n}"))
                 .order_by(_FTS.c.rowid.desc()).limit(per_group).subquery() for n in range(groups)]
    ids = union(*[select(sub.c.id) for sub in found]) if len(found) > 1 else select(found[0].c.id)
    return (select(MemoryRow).where(col(MemoryRow.id).in_(ids), *_SCOPED)
            .order_by(col(MemoryRow.id).desc()).limit(limit if every else PER_WORD * groups))
