"""Appends to a chain stay whole when a transaction appends several records (a fan-out's
group of calls), when a savepoint with a record rolls back, and when the appending
transactions wrote before they appended (a step's result, then its call's record) — the
cases where ``bot/store/audit.py`` reads the chain's head once per transaction, or takes no
extra lock on SQLite because the transaction holds the write lock already."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, update
from sqlmodel import col, select

from bot.store import audit
from bot.store.audit_verify import verify
from bot.store.database import Database
from bot.store.tables import AuditRow, RunRow

A, B = "slack:TAAA", "discord:4242"


async def verified(database: Database) -> tuple[bool, str]:
    async with database.session(all_teams=True) as s:
        found = await verify(s)
    return found.ok, found.summary()


async def kept_of_an_intact_chain(database: Database) -> list[Any]:
    """The ``i`` of every record, in the chain's order, once the chain verifies intact."""
    ok, summary = await verified(database)
    assert ok, summary
    async with database.session(all_teams=True) as s:
        return [r.data["i"] for r in await s.exec(select(AuditRow).order_by(col(AuditRow.seq)))]


async def write_then_append_two(database: Database, actor: str, i: int) -> None:
    """One transaction as a step's finishing one: a write first (its result, its lease; here an
    update that matches no run), then two records of ``actor``'s chain."""
    async with database.session(all_teams=True) as s:
        await s.exec(update(RunRow).where(col(RunRow.id) == -i).values(error="")
                     .execution_options(synchronize_session=False))
        await audit.append(s, "call", actor_key=actor, data={"i": i})
        await audit.append(s, "call", actor_key=actor, data={"i": i, "second": True})


async def test_records_chain_to_each_other_at_one_statement_each(database: Database) -> None:
    async with database.session(all_teams=True) as s:
        await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": 0})
    statements: list[str] = []

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        statements.append(sql)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with database.session(all_teams=True) as s:
            for i in range(1, 6):
                await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": i})
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    # the lock (a statement on both databases: no write came before), then five inserts: the
    # first checks in its own statement that the head is still the record this process wrote
    assert len(statements) == 1 + 5, "\n".join(statements)
    ok, summary = await verified(database)
    assert ok, summary
    assert "intact: 6 records" in summary


async def test_a_record_another_process_appended_since_is_chained_to(database: Database) -> None:
    # two processes on one database: each guesses the head is the record it wrote last
    other = Database(database.url)
    try:
        async with database.session(all_teams=True) as s:
            await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": 0})
        async with other.session(all_teams=True) as s:
            await audit.append(s, "call", actor_key=f"{A}:U2", data={"i": 1})
        async with database.session(all_teams=True) as s:  # its guess, record 0, is no longer the head
            await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": 2})
        async with database.session(all_teams=True) as s:  # rolled back: the guess it leaves is wrong too
            await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": "gone"})
            await s.rollback()
        async with database.session(all_teams=True) as s:
            await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": 3})
    finally:
        await other.dispose()
    assert await kept_of_an_intact_chain(database) == [0, 1, 2, 3]


async def test_a_record_rolled_back_with_its_savepoint_is_not_chained_to(database: Database) -> None:
    async with database.session(all_teams=True) as s:
        await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": 0})
        try:
            async with s.begin_nested():
                await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": "gone"})
                raise LookupError("the savepoint rolls back")
        except LookupError:
            pass
        await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": 2})
        async with s.begin_nested():
            await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": 3})
        await audit.append(s, "call", actor_key=f"{A}:U1", data={"i": 4})
    assert await kept_of_an_intact_chain(database) == [0, 2, 3, 4]


async def test_appends_after_a_write_of_their_own_keep_both_chains_whole(database: Database) -> None:
    # each transaction writes first, as a step's finishing one does (its result, its lease),
    # then appends: on SQLite it holds the write lock by then and takes no other
    at_once = asyncio.Semaphore(8)

    async def one(actor: str, i: int) -> None:
        async with at_once:
            await write_then_append_two(database, actor, i)

    await asyncio.gather(*(one(f"{A}:U1" if i % 2 else f"{B}:7", i) for i in range(24)))
    ok, summary = await verified(database)
    assert ok, summary
    assert "48 records in 2 chains" in summary


async def test_one_teams_appends_from_two_processes_at_once_keep_its_chain_whole(database: Database) -> None:
    # two planners of one team: two engines (each its own pool, and its own guess of the head),
    # eight transactions of each in flight, each writing first and then appending two records
    other = Database(database.url)
    at_once = {id(database): asyncio.Semaphore(8), id(other): asyncio.Semaphore(8)}

    async def one(db: Database, i: int) -> None:
        async with at_once[id(db)]:
            await write_then_append_two(db, f"{A}:U{i % 3}", i)

    try:
        await asyncio.gather(*(one(database if i % 2 else other, i) for i in range(40)))
    finally:
        await other.dispose()
    ok, summary = await verified(database)
    assert ok, summary
    assert "intact: 80 records" in summary
    async with database.session(all_teams=True) as s:
        rows = list(await s.exec(select(AuditRow).order_by(col(AuditRow.seq))))
    # one chain, no fork: every record names the one before it, and none is named twice
    assert len({r.prev_hash for r in rows}) == len(rows) == 80
    # a transaction's two records are next to each other: the chain was locked between them
    assert all(a.data["i"] == b.data["i"] for a, b in zip(rows[::2], rows[1::2], strict=True))
