"""A process's connection pool (bot/store/database.py, ``Pool``): the planner keeps its own
size and waits its own time for a free connection (DEPUTY_PLANNER_POOL_SIZE,
DEPUTY_PLANNER_POOL_TIMEOUT_SECONDS); the chat paths keep SQLAlchemy's 5 + 10 and wait 5 s."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from bot.errors import DatabaseUnavailable, SettingsError
from bot.planner_process import planner_pool
from bot.settings import load_settings
from bot.store.database import POOL_TIMEOUT_SECONDS, Database, Pool

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


async def test_a_sized_pool_lends_that_many_and_waits_its_own_timeout(database_url: str) -> None:
    database = Database(database_url, pool=Pool(size=2, timeout=0.4))
    try:
        held = [await database.engine.connect() for _ in range(2)]  # both, no overflow beyond them
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable, match="too busy"):
            async with database.session(all_teams=True) as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        waited = time.monotonic() - started
        # its own 0.4 s, not the default: the upper bound is the default timeout itself
        # (not a tighter figure a loaded machine could miss)
        assert 0.35 <= waited < POOL_TIMEOUT_SECONDS
        await held.pop().close()
        async with database.session(all_teams=True) as session:  # one free again: it is lent
            assert (await session.exec(text("SELECT 1"))).scalar() == 1  # type: ignore[call-overload]
        for connection in held:
            await connection.close()
    finally:
        await database.dispose()


async def test_the_chat_paths_keep_the_default_pool(database_url: str) -> None:
    database = Database(database_url)
    try:
        pool = database.engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout) == (5, 10, POOL_TIMEOUT_SECONDS)  # type: ignore[attr-defined]
    finally:
        await database.dispose()


def test_the_planner_takes_its_pool_from_its_settings(database_url: str) -> None:
    pool, in_flight = planner_pool(load_settings())
    assert (pool.size, pool.timeout, in_flight) == (24, 15.0, 16)  # 16 requests, LISTEN, inbox, spare
    pool, in_flight = planner_pool(load_settings(planner_pool_size=8, planner_pool_timeout_seconds=40))
    assert (pool.size, pool.timeout, in_flight) == (8, 40.0, 6)  # fewer requests than connections
    with pytest.raises(SettingsError, match="DEPUTY_PLANNER_POOL_SIZE"):
        load_settings(planner_pool_size=2)  # not even its LISTEN and the inbox's own
