"""A fake Discord and the real discord.py client connected to it, with a recording dispatch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.adapters.discord.client import DeputyClient, Dispatch, TeamDoor, build_discord
from bot.adapters.discord.port import DiscordPort
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.handoff import DEFAULT_LIMIT
from bot.app import Deputy
from bot.chat.events import ChatEvent
from bot.settings import Settings, load_settings
from bot.store.database import Database
from tests.core.conftest import seeded_app
from tests.fakes.discord_server import FakeDiscord


@dataclass
class Recorder:
    """Stands in for the core's dispatch: keeps every event and wakes up waiters."""

    events: list[ChatEvent] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def __call__(self, event: ChatEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(self, count: int, within: float = 5) -> list[ChatEvent]:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.events) >= count), within
            )
        return self.events


@dataclass
class Running:
    fake: FakeDiscord
    client: DeputyClient
    port: DiscordPort
    recorder: Recorder  # a stand-in dispatch when a test passes its own
    task: asyncio.Task[None]


async def eventually(check: Callable[[], bool], within: float = 30) -> None:
    # generous: a check that holds returns at once; 5 s was missed on a loaded machine
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def settings_for(fake: FakeDiscord) -> DiscordSettings:
    return DiscordSettings(
        token=SecretStr(fake.token),
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        discord_role_groups={"finance": fake.roles["finance"]},
    )


async def connect(
    fake: FakeDiscord, dispatch: Dispatch, settings: DiscordSettings | None = None,
    teams: TeamDoor | None = None, max_pending: int = DEFAULT_LIMIT,
) -> Running:
    recorder = dispatch if isinstance(dispatch, Recorder) else Recorder()
    client, port = build_discord(settings or settings_for(fake), dispatch, teams, max_pending)
    task = asyncio.create_task(client.start(fake.token))
    # discord.py waits guild_ready_timeout (2 s) for more GUILD_CREATEs before on_ready;
    # events flow before that, so tests start once the guild is in the cache
    ready = asyncio.ensure_future(
        eventually(lambda: client.get_guild(int(fake.guild_id)) is not None, 10)
    )
    await asyncio.wait({ready, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        await client.close()
        if task.done():
            task.result()  # re-raise why the client stopped
        raise AssertionError("the client did not become ready")
    return Running(fake, client, port, recorder, task)


async def disconnect(running: Running) -> None:
    await running.client.close()
    await asyncio.wait_for(running.task, 5)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def discord_bot(fake: FakeDiscord) -> AsyncIterator[Running]:
    running = await connect(fake, Recorder())
    yield running
    await disconnect(running)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01)


@pytest.fixture
async def app(database: Database, settings: Settings) -> Deputy:
    """The seeded app the Discord end-to-end tests attach their port to."""
    return await seeded_app(database, settings)
