"""A Deputy core for monitor tests: local integration with demo data, a recording chat port,
and a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Deputy, assemble
from bot.chat.port import MessageRef
from bot.chat.replies import Reply
from bot.domain import Actor, Where
from bot.planning.rules import RulePlanner
from bot.policy import load_policy
from bot.registry import IntegrationEnv, discover
from bot.settings import Settings, load_settings
from bot.store.database import Database
from tests.support.demo_teams import seed_every_team

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
OWNER = Actor(platform="shell", team_id="local", user_id="dev", display_name="Dev Patel",
              timezone="Europe/London")
FINANCE = Where(platform="shell", channel_id="finance")


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class RecordingPort:
    platform: str = "shell"
    posts: list[tuple[Where, Reply]] = field(default_factory=list)
    private: list[tuple[Actor, Reply]] = field(default_factory=list)

    async def open_thread(self, where: Where, title: str, message_id: str | None) -> Where:
        return where

    async def post(self, where: Where, reply: Reply) -> MessageRef:
        self.posts.append((where, reply))
        return MessageRef(self.platform, where.channel_id, f"m{len(self.posts)}")

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        return None

    async def post_private(self, where: Where, actor: Actor, reply: Reply) -> None:
        self.private.append((actor, reply))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5)


@pytest.fixture
def integrations() -> list[str]:
    """The integrations the app is built with; a test parametrizes ``integrations`` for others."""
    return ["local"]


@pytest.fixture
async def deputy(database: Database, settings: Settings, clock: Clock, port: RecordingPort,
                 integrations: list[str]) -> AsyncIterator[Deputy]:
    registry = discover(integrations)
    registry.start(IntegrationEnv(settings=settings, database=database, clock=clock))
    app = assemble(settings, database, registry, load_policy(settings.resolved_policy_file),
                 RulePlanner(), clock=clock)
    app.attach(port)
    yield app


@pytest.fixture
async def seeded(deputy: Deputy) -> Deputy:
    """The core with the demo team's invoices (some overdue)."""
    await seed_every_team(deputy.database, START.date(), "Europe/London")
    return deputy


@pytest.fixture
def port() -> RecordingPort:
    """What Deputy said in chat (the app may wrap it, e.g. to audit; we keep the original)."""
    return RecordingPort()
