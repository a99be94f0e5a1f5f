"""A request whose attempt met a busy database (bot/adapters/inbox.py): a pool that stayed full
for its timeout is a burst, not the request's fault, so it does not use up one of the three
attempts — the request is taken again later and finished, as a redo, never given up for it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import select

from bot.adapters.inbox import Attempt, Sealer, consume
from bot.errors import DatabaseUnavailable
from bot.store import inbox
from bot.store.database import Database, Pool
from bot.store.inbox import InboxRow


async def _queue(database: Database, sealer: Sealer, n: int) -> None:
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", sealer.seal("command", {"body": {"n": i}})) for i in range(n)])


async def _left(database: Database) -> list[InboxRow]:
    async with database.session(all_teams=True) as session:
        return list((await session.exec(select(InboxRow))).all())


async def test_attempts_that_met_a_busy_database_do_not_count_and_the_request_is_finished(database: Database) -> None:
    sealer = Sealer("slack", "s")
    await _queue(database, sealer, 1)
    seen: list[tuple[int, bool, dict[str, Any]]] = []
    told: list[str] = []
    stop = asyncio.Event()

    async def work(kind: str, payload: dict[str, Any], attempt: Attempt) -> None:
        seen.append((attempt.number, attempt.redo, dict(attempt.notes)))
        if attempt.number == 1:
            await attempt.note(root_ts="1.0")  # posted before the database got busy
        if attempt.number <= 4:  # more busy attempts than a request has attempts
            raise DatabaseUnavailable("The database is too busy right now; nothing was changed.")
        stop.set()

    async def give_up(kind: str, payload: dict[str, Any]) -> None:
        told.append(kind)
        stop.set()

    await asyncio.wait_for(consume(database, sealer, work, poll=0.01, stop=stop, lease_seconds=5,
                                   give_up=give_up, retry_seconds=0.02), 30)
    assert told == []
    assert [(n, redo) for n, redo, _ in seen] == [(1, False), (2, True), (3, True), (4, True), (5, True)]
    # the redo has what the first attempt noted, and how many attempts met a busy database
    assert seen[-1][2] == {"root_ts": "1.0", "busy": 4}
    assert await _left(database) == []


async def test_a_request_that_fails_on_its_own_is_still_given_up_after_three_counted_attempts(
        database: Database) -> None:
    sealer = Sealer("slack", "s")
    await _queue(database, sealer, 1)
    numbers: list[int] = []
    told: list[str] = []
    stop = asyncio.Event()

    async def work(kind: str, payload: dict[str, Any], attempt: Attempt) -> None:
        numbers.append(attempt.number)
        if attempt.number == 2:
            raise DatabaseUnavailable("The database is too busy right now; nothing was changed.")
        raise LookupError("no such client")

    async def give_up(kind: str, payload: dict[str, Any]) -> None:
        told.append(kind)
        stop.set()

    await asyncio.wait_for(consume(database, sealer, work, poll=0.01, stop=stop, lease_seconds=5,
                                   give_up=give_up, retry_seconds=0.02), 30)
    assert (numbers, told) == ([1, 2, 3, 4], ["command"])  # the busy second not counted
    [row] = await _left(database)
    assert row.failed_at is not None and row.last_error == "LookupError"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_burst_through_a_tiny_pool_loses_no_request(database: Database, database_url: str,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    """Four requests worked at once, each holding a connection a while, through a pool of
    three that waits 0.1 s: attempts keep meeting a full pool, and every request is finished."""
    del database  # emptied the tables
    database = Database(database_url, pool=Pool(size=3, timeout=0.1))
    sealer = Sealer("slack", "s")
    try:
        await _queue(database, sealer, 12)
        finished: set[int] = set()
        told: list[str] = []
        stop = asyncio.Event()

        async def work(kind: str, payload: dict[str, Any], attempt: Attempt) -> None:
            async with database.session(all_teams=True) as session:
                await session.exec(select(InboxRow.id).limit(1))
                await asyncio.sleep(0.15)
            finished.add(payload["body"]["n"])
            if len(finished) == 12:
                stop.set()

        async def give_up(kind: str, payload: dict[str, Any]) -> None:
            told.append(str(payload["body"]["n"]))
            if len(finished) + len(told) == 12:
                stop.set()

        await asyncio.wait_for(consume(database, sealer, work, poll=0.01, stop=stop, lease_seconds=5,
                                       give_up=give_up, retry_seconds=0.02, concurrency=4), 60)
        assert (told, finished) == ([], set(range(12)))
        assert "met a busy database" in caplog.text  # the pool was full for its timeout meanwhile
        assert await _left(database) == []
    finally:
        await database.dispose()
