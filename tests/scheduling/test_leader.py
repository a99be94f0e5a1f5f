"""Leader election keeps two Deputy databases on one PostgreSQL server apart: each database
has its own leader, and ``leader_query()`` names only the current database's."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.scheduling.leader import PostgresLeadership, leader_query
from tests.support import postgres


async def leaders_named(url: str) -> list[str]:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return [str(row[0]) for row in await conn.fetch(leader_query())]
    finally:
        await conn.close()


async def two_databases(first_url: str, second_url: str) -> None:
    first = PostgresLeadership(first_url)
    rival = PostgresLeadership(first_url)
    second = PostgresLeadership(second_url)
    try:
        assert await first.acquire() is True
        # the second database has no leader yet, and must not report the first one's
        assert await leaders_named(second_url) == []
        assert len(await leaders_named(first_url)) == 1
        # the first database's scheduler does not stop the second database from electing one
        assert await second.acquire() is True
        assert await rival.acquire() is False
        assert len(await leaders_named(first_url)) == 1
        assert len(await leaders_named(second_url)) == 1
        # the first leader goes: its database has none, the other keeps its own
        await first.release()
        assert await leaders_named(first_url) == []
        assert len(await leaders_named(second_url)) == 1
        assert await rival.acquire() is True
    finally:
        for leadership in (first, rival, second):
            await leadership.release()


def test_two_deputy_databases_on_one_server_each_elect_their_own_leader() -> None:
    admin = postgres.server_url()
    with postgres.throwaway_database(admin) as first_url, postgres.throwaway_database(admin) as second_url:
        asyncio.run(two_databases(first_url, second_url))
