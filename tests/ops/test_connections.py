"""The README's scale-out layout against PostgreSQL's max_connections: what each process's
pool opens at most is what the start-up check counts, and a server process warns, with the
numbers, when the layout could open more connections than the server allows."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from bot.planner_process import planner_pool
from bot.settings import load_settings
from bot.startup import DEFAULT_POOL_MOST, check_connections, connections_warning
from bot.store.database import Database
from bot.store.server_limits import ConnectionLimit

POSTGRES_DEFAULT = ConnectionLimit(max_connections=100, reserved=3)


def test_the_pools_counted_are_the_pools_made() -> None:
    """A process with no pool of its own opens at most 15 (SQLAlchemy's 5 + 10 overflow); a
    planner's pool is DEPUTY_PLANNER_POOL_SIZE with no overflow."""
    plain = Database("postgresql://deputy@127.0.0.1:1/none")  # no connection is made
    pool = plain.engine.sync_engine.pool
    assert pool.size() + pool._max_overflow == DEFAULT_POOL_MOST  # type: ignore[attr-defined]
    settings = load_settings(planner_pool_size=30)
    planner = Database("postgresql://deputy@127.0.0.1:1/none", pool=planner_pool(settings)[0])
    pool = planner.engine.sync_engine.pool
    assert (pool.size(), pool._max_overflow) == (30, 0)  # type: ignore[attr-defined]


def test_the_default_layout_is_over_postgres_default_and_says_by_how_much() -> None:
    warning = connections_warning(load_settings(), POSTGRES_DEFAULT)
    assert warning is not None
    assert "can open up to 125 (2 planner × 24, 2 web × 15, 1 worker × 15, 1 scheduler × 17, 1 discord × 15)" in warning
    assert "the server allows 97 (max_connections 100 less 3 reserved for superusers)" in warning
    assert "Raise max_connections to at least 128, lower DEPUTY_PLANNER_POOL_SIZE" in warning


def test_a_layout_that_fits_is_not_warned_of() -> None:
    assert connections_warning(load_settings(), ConnectionLimit(max_connections=128, reserved=3)) is None
    # the other processes' 77 and two planners of 10 are the default server's 97; of 11, one over
    assert connections_warning(load_settings(planner_pool_size=10), POSTGRES_DEFAULT) is None
    assert connections_warning(load_settings(planner_pool_size=11), POSTGRES_DEFAULT) is not None
    assert connections_warning(load_settings(planner_pool_size=11), ConnectionLimit(102, 3)) is None


async def test_the_server_says_its_limit_at_start(database: Database, caplog: pytest.LogCaptureFixture) -> None:
    """On PostgreSQL the server's own max_connections is read; SQLite has none to read."""
    caplog.set_level(logging.WARNING, logger="bot.startup")
    await check_connections(database, load_settings(planner_pool_size=200))  # 477: over any test server's
    # bot.startup's own: an earlier test's leftover collected meanwhile may log too (asyncio)
    said = [r.getMessage() for r in caplog.records if r.name == "bot.startup"]
    if database.is_sqlite:
        assert said == []
        return
    async with database.engine.connect() as conn:
        most = int((await conn.execute(text("SHOW max_connections"))).scalar_one())
    (warning,) = said
    assert "can open up to 477 (2 planner × 200," in warning and f"(max_connections {most} less " in warning
