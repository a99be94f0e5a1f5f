"""Interrupted writes to a real CalDAV server (Radicale), through the caldav library behind a
proxy that stalls or drops Radicale's answer to the PUT after it stored the object. CalDAV
writes are idempotent (an event's UID, and so its resource name, comes from the step's key):
each write is retried and the calendar holds its effect exactly once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.registry import IntegrationEnv, Registry, discover
from integrations.calendar.client import CalDavClient
from tests.integrations.calendar.conftest import CalendarAccount, _make_account, radicale_url
from tests.interrupted.contract import (
    MODES,
    assert_exactly_once,
    call,
    context,
    contract_settings,
    write_actions,
)
from tests.interrupted.proxy import InterruptingProxy, Mode, http_write

__all__ = ["radicale_url"]

MEETING = {"title": "Roadmap review", "start": "2026-12-08T10:00:00+00:00",
           "end": "2026-12-08T11:00:00+00:00", "attendees": ["ben@acme.example"]}
MOVED = {"start": "2026-12-10T14:00:00+00:00", "end": "2026-12-10T15:00:00+00:00"}


@dataclass
class World:
    account: CalendarAccount
    proxy: InterruptingProxy
    registry: Registry

    def credentials(self) -> dict[str, str]:
        direct = urlsplit(self.account.url)
        return self.account.credentials | {
            "url": self.account.url.replace(direct.netloc, f"127.0.0.1:{self.proxy.port}")}


@pytest.fixture(params=MODES)
async def world(request: pytest.FixtureRequest, radicale_url: str) -> AsyncIterator[World]:
    mode: Mode = request.param
    account = _make_account(radicale_url, f"u-{uuid.uuid4().hex[:8]}@acme.example", "pw")
    proxy = InterruptingProxy(int(urlsplit(radicale_url).port or 80), http_write(b"PUT "), mode)
    proxy.armed = False  # armed by each test once its setup is done
    await proxy.start()
    registry = discover(["calendar"])
    registry.start(IntegrationEnv(settings=contract_settings(), database=None, clock=None))
    loaded = registry.get("calendar")
    assert loaded is not None and isinstance(loaded.client, CalDavClient)
    loaded.client.timeout_seconds = 0.5  # per request; the client allows 3 per operation
    yield World(account, proxy, registry)
    await registry.aclose()
    await proxy.stop()


def test_every_write_has_a_case() -> None:
    assert write_actions(discover(["calendar"]), "calendar") == {
        "create_event", "move_event", "cancel_event"}


async def _interrupted(world: World, action: str, args: dict[str, Any], key: str) -> Any:
    world.proxy.armed = True
    outcome = await call(world.registry, contract_settings(), f"calendar.{action}", args,
                         context(world.credentials(), key=key))
    assert world.proxy.interrupted == 1, "the write never reached the server"
    return outcome


async def _created(world: World) -> str:
    made = await call(world.registry, contract_settings(), "calendar.create_event", MEETING,
                      context(world.credentials(), key="deputy-run7-s1"))
    assert made.result is not None
    return str(made.result["event"]["id"] if "event" in made.result else made.result["id"])


def _stored(world: World) -> list[str]:
    return [text for text in world.account.raw_events() if "Roadmap review" in text]


async def test_create_event(world: World) -> None:
    outcome = await _interrupted(world, "create_event", MEETING, "deputy-run7-s1")
    stored = _stored(world)
    assert_exactly_once(outcome, len(stored), "calendar.create_event")


async def test_move_event(world: World) -> None:
    event_id = await _created(world)
    outcome = await _interrupted(world, "move_event", {"event_id": event_id, **MOVED}, "deputy-run7-s2")
    stored = _stored(world)
    assert_exactly_once(outcome, len(stored), "calendar.move_event")
    assert "20261210T140000" in stored[0].replace("Z", "")


async def test_cancel_event(world: World) -> None:
    event_id = await _created(world)
    outcome = await _interrupted(world, "cancel_event", {"event_id": event_id}, "deputy-run7-s2")
    stored = _stored(world)
    assert_exactly_once(outcome, len(stored), "calendar.cancel_event")
    assert "STATUS:CANCELLED" in stored[0]
