"""Full-text retrieval (bot/store/memory_search.py) on SQLite FTS5 and PostgreSQL tsvector:
stemmed words, only the scopes the asker may use, only current memories, no query syntax."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from bot.store import memories, memory_search
from bot.store.database import Database
from bot.store.memories import MemoryRow, Scope, Visibility
from bot.store.migrate import upgrade
from bot.store.tables import utcnow
from tests.support import postgres

TEAM = "slack:T1"
ANA = Visibility(team_key=TEAM, channel_id="C1", actor_key="slack:T1:U1")


def _row(said: str, scope: str = Scope.CHANNEL, key: str = "C1", team: str = TEAM, **more: object) -> MemoryRow:
    return MemoryRow(team_key=team, scope=scope, scope_key=key, subject=said.split(" ")[0].lower(), text=said,
                     taught_by="slack:T1:U1", **more)  # type: ignore[arg-type]


async def _found(database: Database, *words: str, seen: Visibility = ANA, every: bool = False) -> list[str]:
    async with database.session(all_teams=True) as session:
        return [r.text for r in await memory_search.search(session, seen, words, every=every)]


async def _add(database: Database, *rows: MemoryRow) -> list[MemoryRow]:
    async with database.session(all_teams=True) as session:
        return [(await memories.add(session, r))[0] for r in rows]


async def test_stemmed_words_find_memories_in_the_askers_scopes_only(database: Database) -> None:
    await _add(database, _row("Acme's invoices go to ap@acme.example"),
               _row("mine: invoicing Acme happens monthly", Scope.PERSON, "slack:T1:U1"),
               _row("teamwide: Acme pays net-45", Scope.TEAM, ""),
               _row("other channel: Acme invoices are in euros", key="C2"),
               _row("other person: Acme invoice contact is Bob", Scope.PERSON, "slack:T1:U2"),
               _row("other team: Acme invoice", Scope.TEAM, "", team="slack:T9"),
               _row("Globex pays net-30"))
    found = await _found(database, "invoice", "acme")
    assert sorted(found) == ["Acme's invoices go to ap@acme.example", "mine: invoicing Acme happens monthly",
                             "teamwide: Acme pays net-45"]
    assert await _found(database, "globex") == ["Globex pays net-30"]
    # every word: only the memories that mention all of them
    assert await _found(database, "acme", "invoice", "example", every=True) == [
        "Acme's invoices go to ap@acme.example"]


async def test_only_current_memories_are_found(database: Database) -> None:
    _, gone, _, _ = await _add(database, _row("standups are 15 minutes"), _row("retros are 60 minutes"),
                                 _row("reviews are 30 minutes", expires_at=utcnow() - timedelta(seconds=1)),
                                 _row("demos are 20 minutes", expires_at=utcnow() + timedelta(days=1)))
    await _add(database, _row("standups are 10 minutes"))  # same subject: supersedes the first
    async with database.session(all_teams=True) as session:
        row = await memories.get(session, gone.id or 0)
        assert row is not None
        await memories.forget(session, row, "slack:T1:U1")
    # superseded, forgotten and expired memories are not found; the one expiring tomorrow is
    assert sorted(await _found(database, "standup", "retro", "review", "demo", "minute")) == [
        "demos are 20 minutes", "standups are 10 minutes"]


async def test_query_syntax_is_only_words(database: Database) -> None:
    await _add(database, _row("Initech NEAR the station"))
    for said in ('"', 'initech" OR "x', "NEAR(initech station)", "initech*", "-initech", "a:b", "'); --"):
        assert await _found(database, said) in ([], ["Initech NEAR the station"])
    assert await _found(database) == []
    assert await _found(database, "!!!") == []


def test_a_migrated_database_indexes_the_memories_stored_before(tmp_path: Path) -> None:
    """Upgrading a database that already holds memories makes them searchable."""
    async def check(url: str) -> None:
        await upgrade(url, "a3c9e5f17b20")
        database = Database(url)
        async with database.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO memories (team_key, scope, scope_key, subject, text, kind, taught_by, "
                "taught_by_name, source_channel, source_message, created_at, valid_from) VALUES "
                "('slack:T1', 'team', '', 'initech', 'Initech meetings are on Fridays', '', 'x', '', '', '', "
                ":now, :now)"), {"now": utcnow()})
        await upgrade(url)
        assert await _found(database, "meeting", "initech") == ["Initech meetings are on Fridays"]
        await database.dispose()

    asyncio.run(check(f"sqlite:///{tmp_path / 'm.db'}"))
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(check(url))


async def test_a_common_word_does_not_hide_a_rare_one(database: Database) -> None:
    """Each word gets its own newest matches: many newer memories about meetings do not push
    out the one about Initech."""
    await _add(database, _row("Initech meetings are 45 minutes"))
    await _add(database, *[_row(f"meeting{n} notes: meetings run long") for n in range(40)])
    found = await _found(database, "meeting", "initech")
    assert "Initech meetings are 45 minutes" in found
    assert len(found) == memory_search.PER_WORD + 1
