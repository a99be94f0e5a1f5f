"""A full Deputy core over the test database: local integration, default policy, rule planner,
a fixed clock, and fast retries."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pytest

from bot.app import Deputy, assemble
from bot.planning import Planner
from bot.planning.rules import RulePlanner
from bot.policy import Policy, load_policy
from bot.registry import IntegrationEnv, discover
from bot.registry.registry import Registry
from bot.settings import Settings, load_settings
from bot.store.database import Database
from bot.vault import CredentialStore, Keyring, generate_key
from tests.core.provider import Provider
from tests.support.builder import FakeClock
from tests.support.chat import Chat
from tests.support.demo_teams import seed_every_team

# a Wednesday morning in London
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def ticking(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at ``start`` and moves with real time: for tests that wait for a
    lease or a timeout to pass, yet want a known date."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5)


async def make_app(database: Database, settings: Settings, registry: Registry | None = None, *,
                   planner: Planner | None = None, policy: Policy | None = None,
                   clock: Callable[[], datetime] = clock) -> Deputy:
    """The app over ``database``; each part a test wants different is passed here, never
    reassigned on the built app."""
    registry = registry or discover(["local"])
    registry.start(IntegrationEnv(settings=settings, database=database, clock=clock))
    policy = policy or load_policy(settings.resolved_policy_file)
    vault = CredentialStore(database, Keyring([generate_key("k1")]))
    return assemble(settings, database, registry, policy, planner or RulePlanner(), clock=clock,
                    vault=vault)


async def seeded_app(database: Database, settings: Settings, registry: Registry | None = None, *,
                     planner: Planner | None = None, policy: Policy | None = None,
                     clock: Callable[[], datetime] = clock) -> Deputy:
    """:func:`make_app`'s app, over the demo teams' data (tests/support/demo_teams.py) seeded
    for NOW's date."""
    app = await make_app(database, settings, registry, planner=planner, policy=policy, clock=clock)
    await seed_every_team(database, NOW.date(), "Europe/London")
    return app


class Build(Protocol):
    async def __call__(self, *, planner: Planner | None = None, policy: Policy | None = None,
                       registry: Registry | None = None, settings: Settings | None = None) -> Deputy:
        ...


@pytest.fixture
async def provider(request: pytest.FixtureRequest) -> AsyncIterator[Provider]:
    """The fake HTTP provider on 127.0.0.1 (tests/core/provider.py). It answers a repeated
    Idempotency-Key from the first result unless the test parametrizes ``provider``
    indirectly with False."""
    server = Provider(idempotent=getattr(request, "param", True))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def fake_clock() -> FakeClock:
    """The time of the ``deputy`` fixture's app (NOW until the test moves it)."""
    return FakeClock(NOW)


@pytest.fixture
def build(database: Database, settings: Settings, fake_clock: FakeClock) -> Build:
    """The ``deputy`` fixture's app with the parts a test passes (planner, policy, registry,
    settings), on the seeded demo data and ``fake_clock``."""
    default = settings

    async def build_(*, planner: Planner | None = None, policy: Policy | None = None,
                     registry: Registry | None = None, settings: Settings | None = None) -> Deputy:
        return await seeded_app(database, settings or default, registry, planner=planner, policy=policy,
                                clock=fake_clock)

    return build_


@pytest.fixture
async def deputy(build: Build) -> AsyncIterator[Deputy]:
    yield await build()


@pytest.fixture
def chat(deputy: Deputy) -> Chat:
    return Chat(deputy, user="Dev Patel")
