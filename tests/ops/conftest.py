"""A full core over the test database (as in tests/core), plus its ops HTTP routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Deputy
from bot.planning import Planner
from bot.planning.rules import RulePlanner
from bot.settings import Settings, load_settings
from bot.store.database import Database
from bot.web import add_ops_routes
from tests.core.conftest import seeded_app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5)


@pytest.fixture
def planner() -> Planner:
    """The app's planner; a test parametrizes ``planner`` to build with another."""
    return RulePlanner()


@pytest.fixture
async def deputy(database: Database, settings: Settings, planner: Planner) -> AsyncIterator[Deputy]:
    app = await seeded_app(database, settings, planner=planner)
    yield app


@pytest.fixture
async def ops_client(deputy: Deputy) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    web_app = web.Application()
    add_ops_routes(web_app, deputy, {}, metrics_max_age=0)  # no cache: exact numbers
    async with TestClient(TestServer(web_app, host="127.0.0.1", port=0)) as client:
        yield client
