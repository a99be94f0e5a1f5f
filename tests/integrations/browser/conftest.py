"""The browser tests: a real Chromium (Debian's package, see the Makefile's `chromium` step)
against a portal served on 127.0.0.1, which the settings allow explicitly."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import Deputy
from bot.registry import discover
from bot.settings import Settings, load_settings
from bot.store.database import Database
from tests.core.conftest import make_app
from tests.core.doubles import ScriptedPlanner
from tests.integrations.browser.site import Portal


@pytest.fixture(scope="session", autouse=True)
def _chromium() -> None:
    if shutil.which("chromium") is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium "
                    "package) or `apt-get install -y chromium`", pytrace=False)


@pytest.fixture
async def portal() -> AsyncIterator[Portal]:
    portal = Portal()
    runner = web.AppRunner(portal.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    portal.base = f"http://127.0.0.1:{port}"
    yield portal
    portal.release.set()
    await runner.cleanup()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London",
                         retry_base_seconds=0.01, retry_max_seconds=0.05,
                         step_timeout_seconds=20, browser_allowed_hosts=["127.0.0.1"],
                         browser_download_max_bytes=1_000_000)


@pytest.fixture
def planner() -> ScriptedPlanner:
    """The app's planner: each browser test scripts the plans it needs (``planner.script``)."""
    return ScriptedPlanner()


@pytest.fixture
async def deputy(database: Database, settings: Settings, planner: ScriptedPlanner) -> AsyncIterator[Deputy]:
    app = await make_app(database, settings, discover(["local", "browser"]), planner=planner)
    yield app
    await app.registry.aclose()
