"""The Procfile's split: `deputy serve --no-plan` acknowledges and queues, `deputy planner` plans.

The web process verifies and acknowledges a signed slash command and writes it, sealed, to
the inbox table; it plans nothing (no goal, no card) however long it waits. Once a planner
process starts, it takes the request, posts the root message and the plan card, and only
then deletes the request. The inbox hands each request to one planner at a time, and opens only rows sealed for that kind
under the same signing secret.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from bot.adapters.inbox import Sealer
from bot.settings import load_settings
from bot.store import inbox
from bot.store.database import Database
from bot.store.inbox import InboxRow
from bot.store.migrate import open_database
from bot.store.tables import GoalRow
from tests.adapters.slack import wire
from tests.adapters.slack.live import buttons_of
from tests.fakes.slack_api import FakeSlackApi
from tests.support.deputy_process import deputy_serve

GOAL = "add a contact Jane Doe, jane@acme.example, at Acme Corp"


async def queued(home: Path) -> tuple[list[InboxRow], int]:
    database = await open_database(load_settings(home=home))
    try:
        async with database.session(all_teams=True) as session:
            rows = list((await session.exec(select(InboxRow))).all())
            goals = len((await session.exec(select(GoalRow))).all())
        return rows, goals
    finally:
        await database.dispose()


@pytest.mark.slow  # two `deputy` processes
async def test_the_web_process_acks_and_queues_and_the_planner_posts_the_card(
        slack_api: FakeSlackApi, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"SLACK_BOT_TOKEN": "xoxb-0000-test-token", "SLACK_SIGNING_SECRET": wire.SECRET,
           "DEPUTY_SLACK_API_URL": slack_api.base_url}
    web = ("serve", "--no-plan", "--no-worker", "--no-scheduler")
    async with deputy_serve(home, env, command=web) as served, aiohttp.ClientSession() as session:
        body = wire.slash_command(GOAL, response_url=slack_api.response_url)
        async with session.post(served.url + "/slack/events", data=body.encode(),
                                headers={"Content-Type": wire.FORM, **wire.sign(body)}) as response:
            assert (response.status, await response.text()) == (200, "")
        unsigned = {"Content-Type": wire.FORM, **wire.sign(body, secret="not-the-secret")}
        async with session.post(served.url + "/slack/events", data=body.encode(), headers=unsigned) as response:
            assert response.status == 401

        for _ in range(100):
            rows, goals = await queued(home)
            if rows:
                break
            await asyncio.sleep(0.1)
        # queued once (the forged copy was refused), sealed, and not planned by the web process
        assert [row.kind for row in rows] == ["command"] and goals == 0
        assert b"Jane Doe" not in rows[0].sealed and b"acme" not in rows[0].sealed
        await asyncio.sleep(1.0)
        assert slack_api.of("chat.postMessage") == [] and (await queued(home))[1] == 0

        async with deputy_serve(home, env, command=("planner", "run")) as planner:
            try:
                [root, card] = await slack_api.wait_for("chat.postMessage", 2, within=30)
            except AssertionError as err:
                raise AssertionError(f"{err}\n--- planner said ---\n{(await planner.output())[-3000:]}") from None
            assert root.params["text"] == f"<@U0ANNA> asked: {GOAL}"
            assert card.params["thread_ts"] == "1760000001.000001"
            assert {b.action for b in buttons_of(card.params["blocks"])[0].values()} == {"approve", "modify", "reject"}
            # deleted once its work returned (the planner's next poll): never before
            for _ in range(100):
                if not (await queued(home))[0]:
                    break
                await asyncio.sleep(0.1)
            assert (await queued(home))[0] == []
            assert await planner.stop() == 0
        assert await served.stop() == 0


def test_a_sealed_request_opens_only_as_its_kind_under_its_secret() -> None:
    sealer = Sealer("slack", "secret-one")
    sealed = sealer.seal("command", {"body": {"text": "pay Acme, card 4242 4242 4242 4242"}})
    assert b"4242" not in sealed
    assert sealer.open("command", sealed) == {"body": {"text": "pay Acme, card 4242 4242 4242 4242"}}
    with pytest.raises(ValueError):
        sealer.open("credentials", sealed)
    with pytest.raises(ValueError):
        Sealer("slack", "secret-two").open("command", sealed)
    with pytest.raises(ValueError):
        sealer.open("command", sealed[:-1] + bytes([sealed[-1] ^ 1]))


async def test_two_planners_taking_at_once_never_get_the_same_request(database: Database) -> None:
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", f"r{n}".encode()) for n in range(40)])
        await inbox.put(session, "discord", [("command", b"other platform")])

    async def planner() -> list[bytes]:
        got: list[bytes] = []
        while True:
            async with database.session(all_teams=True) as session:
                rows = await inbox.take(session, "slack", 3)
            if not rows:
                return got
            got += [row.sealed for row in rows]

    first, second = await asyncio.gather(planner(), planner())
    assert sorted(first + second) == sorted(f"r{n}".encode() for n in range(40))
    assert not set(first) & set(second)
    # each planner's share comes oldest first
    assert first == sorted(first, key=lambda s: int(s[1:])) and second == sorted(second, key=lambda s: int(s[1:]))
    async with database.session(all_teams=True) as session:
        assert [row.sealed for row in await inbox.take(session, "discord", 10)] == [b"other platform"]
