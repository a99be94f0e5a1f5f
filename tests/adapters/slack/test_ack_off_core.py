"""Acks never wait for planning: deputy serve's front door answers Slack on its own thread.

The core (here: a dispatch that blocks its event loop, like a planner busy on the CPU) runs
on the test's loop; the HTTP server runs as `deputy serve` runs it, in FrontDoor's thread;
the requests come from a third thread, so nothing the core does can hold them up.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from bot import metrics
from bot.adapters.front_door import FrontDoor
from bot.adapters.handoff import Handoff
from bot.adapters.slack.app import BUSY, SlackAdapter
from bot.adapters.slack.http import EVENTS_PATH, create_http_app
from bot.chat.events import ChatEvent, GoalPosted
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import slack_settings
from tests.fakes.slack_api import FakeSlackApi

PLANNING = 0.4  # seconds each goal holds the core's loop
HOLD = 120.0  # at most this long a held core waits for the test to let it go (never, when acks work)


@dataclass
class BlockingCore:
    """A dispatch that blocks its loop (time.sleep), as CPU-bound planning does."""

    seconds: float = PLANNING
    finished: list[str] = field(default_factory=list)
    gate: asyncio.Event | None = None
    waits: float = 0.0  # seconds of awaiting (a model's answer) before the CPU part
    started: threading.Event = field(default_factory=threading.Event)
    # when given: the first goal blocks the loop until the test sets it (or HOLD passes)
    hold: threading.Event | None = None
    held_until_let_go: bool | None = None

    async def __call__(self, event: ChatEvent) -> None:
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(self.waits)
        self.started.set()
        if self.hold is not None and self.held_until_let_go is None:
            self.held_until_let_go = self.hold.wait(HOLD)  # blocks the loop, as planning on the CPU does
        time.sleep(self.seconds)  # noqa: ASYNC251 - the point: a planner busy on the CPU
        self.finished.append(event.text if isinstance(event, GoalPosted) else type(event).__name__)


def post_all(url: str, bodies: list[str]) -> list[tuple[int, str, float]]:
    """Send the requests at once from a thread of their own; (status, text, seconds) each."""

    async def one(session: aiohttp.ClientSession, body: str) -> tuple[int, str, float]:
        started = time.perf_counter()
        headers = {"Content-Type": wire.FORM, **wire.sign(body)}
        async with session.post(url + EVENTS_PATH, data=body.encode(), headers=headers) as response:
            return response.status, await response.text(), time.perf_counter() - started

    async def main() -> list[tuple[int, str, float]]:
        async with aiohttp.ClientSession() as session:
            return list(await asyncio.gather(*(one(session, b) for b in bodies)))

    return asyncio.run(main())


def goals(*texts: str) -> list[str]:
    return [wire.slash_command(t, trigger=f"trigger-{n}") for n, t in enumerate(texts)]


@pytest.fixture
async def front(slack_api: FakeSlackApi) -> AsyncIterator[tuple[FrontDoor, SlackAdapter, BlockingCore]]:
    core = BlockingCore()
    adapter = SlackAdapter(slack_settings(slack_api), core, max_pending=3)
    door = FrontDoor(create_http_app(adapter, web.Application()), "127.0.0.1", 0, own_paths=[EVENTS_PATH])
    await door.start()
    # the first request asks auth.test (bolt, once): let it through before the core blocks
    await asyncio.to_thread(post_all, f"http://127.0.0.1:{door.port}", goals("warm up"))
    await adapter.drain()
    core.finished.clear()
    yield door, adapter, core
    await door.stop()
    await adapter.aclose(grace=5)


async def test_acks_return_while_the_core_is_blocked_planning(front: tuple[FrontDoor, SlackAdapter, BlockingCore]) -> None:
    """The core's loop is held by the first goal until every ack is back: acks that needed
    that loop could not come back until HOLD passed. No clock decides it: on a loaded
    machine an ack may be slow, but it comes while the core is still held."""
    door, adapter, core = front
    core.seconds, core.hold = 0.0, threading.Event()
    url = f"http://127.0.0.1:{door.port}"
    texts = ["plan the quarter", "invoice Acme", "invoice Globex"]

    def while_planning() -> list[tuple[int, str, float]]:
        try:
            first = post_all(url, goals(texts[0]))
            assert core.started.wait(HOLD), f"the first goal had not reached the core {HOLD} s after its ack"
            # the core's loop is now stuck in the first goal's planning until let go
            others = [wire.slash_command(t, trigger=f"later-{n}") for n, t in enumerate(texts[1:])]
            return first + post_all(url, others)
        finally:
            assert core.hold is not None
            core.hold.set()

    answers = await asyncio.to_thread(while_planning)
    assert [(status, text) for status, text, _ in answers] == [(200, "")] * 3
    assert core.held_until_let_go is True, f"the acks came only after the core had been held {HOLD} s"
    await adapter.drain()
    assert sorted(core.finished) == sorted(texts)


async def test_a_full_queue_answers_busy_and_loses_nothing_it_took(
    front: tuple[FrontDoor, SlackAdapter, BlockingCore],
) -> None:
    door, adapter, core = front
    core.seconds, core.gate = 0.0, asyncio.Event()
    texts = ["one", "two", "three", "four"]
    url = f"http://127.0.0.1:{door.port}"
    taken = await asyncio.to_thread(post_all, url, goals(*texts[:3]))
    refused = metrics.REGISTRY.get_sample_value("deputy_requests_refused_busy_total", {"platform": "slack"}) or 0.0
    [(status, text, _)] = await asyncio.to_thread(post_all, url, goals(texts[3]))
    assert [a[:2] for a in taken] == [(200, "")] * 3
    assert status == 200 and BUSY in text and '"ephemeral"' in text
    assert metrics.REGISTRY.get_sample_value("deputy_requests_refused_busy_total", {"platform": "slack"}) == refused + 1
    core.gate.set()
    await adapter.drain()
    assert sorted(core.finished) == sorted(texts[:3])


async def test_shutdown_finishes_every_acknowledged_goal(front: tuple[FrontDoor, SlackAdapter, BlockingCore]) -> None:
    door, adapter, core = front
    core.seconds, core.waits = 0.0, 0.3
    texts = ["one", "two", "three"]
    answers = await asyncio.to_thread(post_all, f"http://127.0.0.1:{door.port}", goals(*texts))
    assert [a[0] for a in answers] == [200] * 3
    # as deputy serve stops: no new requests, then the accepted work runs to its end
    await door.stop()
    await adapter.aclose(grace=10)
    assert sorted(core.finished) == sorted(texts)


async def test_work_runs_a_few_at_a_time_in_arrival_order() -> None:
    # a flood of goals: the first ones finish first, instead of all advancing together
    handoff = Handoff("test", concurrency=2)
    running, most, finished = 0, 0, []

    async def plan(n: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        finished.append(n)

    for n in range(6):
        handoff.spawn(plan(n), f"goal{n}")
    await handoff.drain()
    assert (most, finished[:2], sorted(finished)) == (2, [0, 1], list(range(6)))


async def test_work_from_the_front_door_is_handed_over_after_that_turn_of_its_loop() -> None:
    # the ack is written in the same turn of the front door's loop that hands its work over;
    # woken before that turn ends, the work loop's thread would take the GIL and the ack
    # would wait for the work's first slice
    handoff = Handoff("test")  # its work loop: this test's
    started = threading.Event()
    seen: list[bool] = []

    async def work() -> None:
        started.set()

    async def front_turn() -> None:
        handoff.spawn(work(), "goal")
        seen.append(started.wait(0.3))  # the rest of this turn: the work has not started
        await asyncio.sleep(0)  # the turn ends: handed over
        seen.append(started.wait(5))

    await asyncio.to_thread(asyncio.run, front_turn())
    await handoff.drain()
    assert seen == [False, True]
