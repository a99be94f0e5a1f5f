"""Shared pieces of the reliability suites: a scale knob and a private PostgreSQL database."""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

import pytest
from sqlmodel import SQLModel

from bot.app import Deputy
from bot.planning import Planner
from bot.registry import discover
from bot.registry.registry import LoadedIntegration, Registry
from bot.settings import Settings, load_settings
from bot.store.database import Database
from tests.core.conftest import make_app
from tests.reliability.effects_ledger import create_ledger
from tests.reliability.injection_world import seeded_template
from tests.support import postgres


def reliability_scale() -> int:
    """DEPUTY_RELIABILITY_SCALE=N multiplies the crash harness's runs and kills (default 1)."""
    return max(1, int(os.environ.get("DEPUTY_RELIABILITY_SCALE", "1")))


def reliability_seed() -> int:
    return int(os.environ.get("DEPUTY_RELIABILITY_SEED", "11"))


async def _create(url: str) -> None:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
        await create_ledger(conn)
    await db.dispose()


@pytest.fixture
def crash_database_url() -> Iterator[str]:
    """A database of its own: worker processes write to it while other tests run elsewhere."""
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(_create(url))
        yield url


@functools.cache
def _local() -> LoadedIntegration:
    loaded = discover(["local"]).get("local")
    assert loaded is not None
    return loaded


def local_registry() -> Registry:
    """The local integration, its manifest parsed once (parsing it is most of a case's cost)."""
    return Registry([LoadedIntegration(manifest=_local().manifest, actions=_local().actions)])


@pytest.fixture
async def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return await seeded_template(sqlite_template, tmp_path_factory.mktemp("injection"))


@pytest.fixture
def quiet_settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5)


class Fresh(Protocol):
    async def __call__(self, *, planner: Planner | None = None, registry: Registry | None = None) -> Deputy:
        ...


@pytest.fixture
async def fresh(seeded: Path, tmp_path: Path, quiet_settings: Settings) -> AsyncIterator[Fresh]:
    """Builds a Deputy with the demo data on its own SQLite copy: one per case, so each case's
    writes are counted alone. (The flow, not the database, is under test here; the crash
    harness covers PostgreSQL.)"""
    made: list[Database] = []

    async def build(*, planner: Planner | None = None, registry: Registry | None = None) -> Deputy:
        path = tmp_path / f"{len(made)}.db"
        await asyncio.to_thread(shutil.copy, seeded, path)
        database = Database(f"sqlite:///{path}")
        made.append(database)
        return await make_app(database, quiet_settings, registry or local_registry(), planner=planner)

    yield build
    for database in made:
        await database.dispose()
