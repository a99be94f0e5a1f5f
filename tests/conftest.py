"""Shared fixtures. ``database`` runs every test that uses it on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from bot.store.database import Database
from bot.store.schema import import_all_tables
from tests.support import postgres

import_all_tables()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, with the schema created."""
    admin = postgres.server_url()
    with postgres.throwaway_database(admin) as url:
        asyncio.run(_create_schema(url))
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema, copied for each test (faster than creating it)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "deputy.db"
    asyncio.run(_create_schema(f"sqlite:///{path}"))
    return path


async def _create_schema(url: str) -> None:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    await db.dispose()


def _reset_sql() -> str:
    """DELETE every row and restart the id sequences: much faster than TRUNCATE on tiny tables."""
    statements = [f'DELETE FROM "{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables)]
    for table in SQLModel.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and
                                                 column.type.python_type is int and
                                                 len(table.primary_key.columns) == 1):
                statements.append(
                    f"PERFORM setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), 1, false)")
    # one DO block: asyncpg sends one statement per prepared query
    return "DO $$ BEGIN\n" + ";\n".join(statements) + ";\nEND $$"


async def _truncate_all(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(_reset_sql())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "deputy.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An empty database with the full schema, on SQLite and on PostgreSQL."""
    db = Database(database_url)
    if not db.is_sqlite:
        await _truncate_all(db)
    yield db
    await db.dispose()
