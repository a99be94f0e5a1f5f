"""The Procfile's split loses nothing: `web` acknowledges and queues, `planner`s take the
requests under a lease, as separate OS processes on PostgreSQL against the fake Slack.

A planner is SIGKILLed while it holds two slash commands: their root messages are posted
and their goals and plan versions stored, but the fake Slack keeps the plan cards' posts
waiting (they never arrive). While the first planner lives, a second one started beside it
takes nothing (the lease is renewed). Once the lease expires the second planner takes both
requests again and finishes them: exactly one root message and one plan card per request,
one goal each, and the inbox empty. A third planner, which started no thread, then gets a
mention in one of those threads: it is a reply to that goal, not a new goal.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from bot.store.database import Database
from bot.store.inbox import InboxRow
from bot.store.tables import GoalRow, ThreadMessageRow
from bot.vault.keys import generate_key
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import USERS
from tests.adapters.slack.live import buttons_of
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.support import postgres
from tests.support.deputy_process import Served, deputy_serve, upgraded_home

pytestmark = pytest.mark.slow

TOKEN = "xoxb-0000-planner-crash-token"
LEASE = 3.0  # seconds: short, so the test need not wait the default 30
# how long a step of the scenario may take at most: each wait below ends as soon as what it
# waits for is seen; this bound only ends the test of a process that will never get there,
# and is far above what a loaded machine needs (load 13-16 exceeded the former 10-90 s)
PATIENCE = 300.0
GOALS = ("add a contact Jane Doe, jane@acme.example, at Acme Corp",
         "add a contact John Roe, john@acme.example, at Acme Corp")


def test_a_killed_planner_loses_nothing_and_does_nothing_twice(tmp_path: Path) -> None:
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(scenario(url, tmp_path))


def roots(api: FakeSlackApi) -> list[Call]:
    return [c for c in api.of("chat.postMessage") if not c.params.get("thread_ts")]


def cards(api: FakeSlackApi) -> list[Call]:
    return [c for c in api.of("chat.postMessage")
            if c.params.get("thread_ts") and buttons_of(c.params.get("blocks") or [])[0]]


async def rows(url: str, statement: Any) -> list[Any]:
    db = Database(url)
    try:
        async with db.session(all_teams=True) as session:
            return list((await session.exec(statement)).all())
    finally:
        await db.dispose()


@dataclass
class Watched:
    """The test's processes by name, and the ones it killed on purpose."""

    procs: dict[str, Served] = field(default_factory=dict)
    killed: set[str] = field(default_factory=set)

    async def logs(self) -> str:
        return "\n".join([f"--- {name} ---\n{(await p.output())[-3000:]}" for name, p in self.procs.items()])

    def died(self) -> list[str]:
        return [f"{name} exited with {p.process.returncode}" for name, p in self.procs.items()
                if name not in self.killed and p.process.returncode is not None]


async def eventually(check: Callable[[], Awaitable[bool] | bool], what: str, watched: Watched,
                     within: float = PATIENCE) -> None:
    """Wait until ``check`` holds; fail at once if one of the processes died, else after
    ``within`` seconds (only a bound for what never comes)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if died := watched.died():
            raise AssertionError(f"waiting for {what}: {', '.join(died)}\n{await watched.logs()}")
        if asyncio.get_running_loop().time() > deadline:
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            raise AssertionError(f"not reached in {within} s (load average {load}): {what}\n{await watched.logs()}")
        await asyncio.sleep(0.2)


async def scenario(url: str, tmp: Path) -> None:
    slack = await FakeSlackApi(users=dict(USERS), tokens={TOKEN}).start()
    env = {"DEPUTY_DATABASE_URL": url, "DEPUTY_MASTER_KEY": generate_key("k1").entry(),
           "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": wire.SECRET, "DEPUTY_SLACK_API_URL": slack.base_url,
           "DEPUTY_SLACK_POST_INTERVAL_SECONDS": "0", "DEPUTY_INBOX_LEASE_SECONDS": str(LEASE)}
    home = tmp / "home"
    await upgraded_home(home, env)
    # the plan cards (posted in a thread) wait at the fake until released
    release = slack.hold("chat.postMessage", lambda params: bool(params.get("thread_ts")))
    watched = Watched()
    procs = watched.procs

    web_command = ("serve", "--platforms", "slack", "--no-worker", "--no-scheduler", "--no-plan")
    try:
        async with deputy_serve(home, env, command=web_command) as web, aiohttp.ClientSession() as session:
            procs["web"] = web
            async with deputy_serve(home, env, command=("planner", "run"), name="first-planner") as first:
                procs["first planner"] = first
                for n, goal in enumerate(GOALS):
                    body = wire.slash_command(goal, response_url=slack.response_url, trigger=slack.trigger_id())
                    async with session.post(web.url + "/slack/events", data=body.encode(),
                                            headers={"Content-Type": wire.FORM, **wire.sign(body)}) as response:
                        assert response.status == 200, n
                await eventually(lambda: len(slack.held) == 2, "both plan cards held at the fake", watched)
                assert len(roots(slack)) == 2 and cards(slack) == []
                async with deputy_serve(home, env, command=("planner", "run"), name="second-planner") as second:
                    procs["second planner"] = second
                    # the first planner is alive and renews its lease: the second takes nothing
                    await asyncio.sleep(LEASE * 1.5)
                    queued = await rows(url, select(InboxRow))
                    assert [r.attempts for r in queued] == [1, 1], queued
                    assert len(roots(slack)) == 2 and len(slack.held) == 2
                    watched.killed.add("first planner")
                    first.process.send_signal(signal.SIGKILL)
                    await first.process.wait()
                    release.set()  # the killed planner's card posts never arrived whole
                    await eventually(lambda: len(slack.abandoned) == 2, "the held posts dropped", watched)
                    assert cards(slack) == []
                    await eventually(lambda: len(cards(slack)) == 2, "the second planner finishing both requests",
                                     watched)
                    await eventually(lambda: _empty(url), "the inbox emptied", watched)
                    assert "attempt 2" in await second.output()
                    watched.killed.add("second planner")  # stopped: its exit is no failure
                    assert await second.stop() == 0
            the_roots = roots(slack)
            assert len(the_roots) == 2, [c.params.get("text") for c in the_roots]
            # each card in its own request's thread, under the root the first planner posted
            root_ts = sorted(str((c.answer or {})["ts"]) for c in the_roots)
            assert sorted(str(c.params["thread_ts"]) for c in cards(slack)) == root_ts
            goals = await rows(url, select(GoalRow).order_by(col(GoalRow.id)))
            assert sorted(g.thread_id for g in goals) == root_ts and len(goals) == 2
            await a_mention_in_another_planners_thread(session, web, slack, url, home, env, watched, goals[0])
            assert await web.stop() == 0
    finally:
        await slack.stop()


async def _empty(url: str) -> bool:
    return await rows(url, select(InboxRow)) == []


async def a_mention_in_another_planners_thread(session: aiohttp.ClientSession, web: Served, slack: FakeSlackApi,
                                               url: str, home: Path, env: dict[str, str],
                                               watched: Watched, goal: GoalRow) -> None:
    """A planner that started no thread routes a mention in a goal's thread to that goal."""
    async with deputy_serve(home, env, command=("planner", "run"), name="third-planner") as third:
        watched.procs["third planner"] = third
        mention = wire.mention("<@UDEPUTY> please also add her phone, +46 70 123 45 67",
                               ts="1760000300.000300", thread_ts=goal.thread_id)
        body = wire.event_callback(mention, event_id="Ev0CRASH01")
        async with session.post(web.url + "/slack/events", data=body.encode(),
                                headers={"Content-Type": wire.JSON, **wire.sign(body)}) as response:
            assert response.status == 200

        async def stored() -> bool:
            return bool(await rows(url, select(ThreadMessageRow).where(
                col(ThreadMessageRow.source_event_id) == "slack:Ev0CRASH01")))

        await eventually(stored, "the mention stored as a reply in the goal's thread", watched)
        [reply] = await rows(url, select(ThreadMessageRow).where(
            col(ThreadMessageRow.source_event_id) == "slack:Ev0CRASH01"))
        assert reply.goal_id == goal.id
        assert len(await rows(url, select(GoalRow))) == 2  # no new goal
        watched.killed.add("third planner")
        assert await third.stop() == 0
