"""SQLite through the one-trip driver (bot/store/sqlite_driver.py): a statement is one trip to
aiosqlite's thread, and answers what the stock adapter answers: rows, rowcounts, the new
row's id, a unique key's IntegrityError."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.store.database import Database

ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call queued to aiosqlite's thread, by the name of the function it runs."""
    made: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(fn, "__name__", repr(fn)))
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


@ON_SQLITE
async def test_a_statement_is_one_trip_to_the_driver_thread(database: Database, trips: list[str]) -> None:
    async with database.session(all_teams=True) as session:
        await (await session.connection()).execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, s TEXT)"))
    trips.clear()
    async with database.session(all_teams=True) as session:
        conn = await session.connection()
        inserted = await conn.execute(text("INSERT INTO t (s) VALUES ('a'), ('b'), ('c')"))
        updated = await conn.execute(text("UPDATE t SET s = 'z' WHERE n > 1"))
        rows = (await conn.execute(text("SELECT n, s FROM t ORDER BY n"))).all()
    assert inserted.rowcount == 3 and updated.rowcount == 2
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "z"), (3, "z")]
    # three statements and the commit (the stock adapter: a cursor opened, executed, its rows
    # fetched and closed, each a trip: ten)
    assert len(trips) == 4, trips


@ON_SQLITE
async def test_new_rows_get_their_ids_and_a_unique_key_refuses_a_second_one(database: Database) -> None:
    async with database.session(all_teams=True) as session:
        conn = await session.connection()
        await conn.execute(text("CREATE TABLE u (n INTEGER PRIMARY KEY, s TEXT UNIQUE)"))
        first = await conn.execute(text("INSERT INTO u (s) VALUES ('a')"))
        second = await conn.execute(text("INSERT INTO u (s) VALUES ('b')"))
        assert (first.lastrowid, second.lastrowid) == (1, 2)
    with pytest.raises(IntegrityError):  # the driver's error, as SQLAlchemy maps it
        async with database.session(all_teams=True) as session:
            conn = await session.connection()
            await conn.execute(text("INSERT INTO u (s) VALUES ('c')"))
            await conn.execute(text("INSERT INTO u (s) VALUES ('a')"))
    async with database.session(all_teams=True) as session:
        found = (await (await session.connection()).execute(text("SELECT s FROM u ORDER BY n"))).scalars().all()
    assert found == ["a", "b"]  # the failed transaction rolled back whole
