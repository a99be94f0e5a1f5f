"""libpq's ``?sslmode=`` in DEPUTY_DATABASE_URL reaches each driver in its own spelling:
asyncpg's ``ssl=`` for the app, psycopg's ``sslmode=`` for the scheduler's job store."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.store.database import Database, async_url, sync_url
from tests.support import postgres


def test_sslmode_is_spelt_for_each_driver() -> None:
    url = async_url("postgresql://u@db.example/deputy?sslmode=require")
    assert url == "postgresql+asyncpg://u@db.example/deputy?ssl=require"
    assert sync_url(url) == "postgresql+psycopg://u@db.example/deputy?sslmode=require"


def test_a_url_with_sslmode_connects_with_both_drivers() -> None:
    database = Database(postgres.server_url() + "?sslmode=disable")

    async def ping() -> None:
        try:
            await database.ping()
        finally:
            await database.dispose()

    asyncio.run(ping())
    engine = database.sync_engine()
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
