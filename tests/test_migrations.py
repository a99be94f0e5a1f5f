"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from bot.store.database import async_url
from bot.store.migrate import upgrade
from bot.store.schema import import_all_tables
from tests.support import postgres


def _differences(url: str) -> list[Any]:
    async def compare() -> list[Any]:
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata))
        await engine.dispose()
        return list(diff)

    return asyncio.run(compare())


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    import_all_tables()
    url = f"sqlite:///{tmp_path / 'm.db'}"
    asyncio.run(upgrade(url))
    assert _differences(url) == []


def test_migrations_match_the_models_on_postgresql() -> None:
    import_all_tables()
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(upgrade(url))
        assert _differences(url) == []
