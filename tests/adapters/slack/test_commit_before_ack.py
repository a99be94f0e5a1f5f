"""`web`'s ack waits for the request's inbox commit (DEPUTY_INBOX_COMMIT_BEFORE_ACK=true):
Slack's answer leaves only once the row is committed, and a commit that fails is
an error answer, not an ack — for an event, Slack's retry is then taken, not dropped as a
duplicate. (The same across OS processes, with a SIGKILL: tests/e2e/test_web_killed_after_ack.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.inbox_writer import InboxWriter
from bot.adapters.slack.app import SlackAdapter
from bot.adapters.slack.http import create_http_app
from bot.errors import DatabaseUnavailable
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import Recorder, Server, slack_settings
from tests.fakes.slack_api import FakeSlackApi


class Inbox(InboxWriter):
    """The inbox as the adapter sees it: each put waits for ``commit`` and fails while
    ``failing`` is above 0 (counting down)."""

    def __init__(self, before_ack: bool) -> None:
        self.before_ack = before_ack
        self.commit = asyncio.Event()
        self.failing = 0
        self.committed: list[str] = []

    async def put(self, kind: str, payload: Any, team: str | None = None) -> None:
        await self.commit.wait()
        if self.failing:
            self.failing -= 1
            raise DatabaseUnavailable("the database did not answer")
        self.committed.append(kind)


@asynccontextmanager
async def served(slack_api: FakeSlackApi, before_ack: bool) -> AsyncIterator[tuple[Server, Inbox]]:
    inbox = Inbox(before_ack=before_ack)
    adapter = SlackAdapter(slack_settings(slack_api), Recorder(), inbox=inbox)
    runner = web.AppRunner(create_http_app(adapter), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(f"http://127.0.0.1:{port}", session), inbox
    finally:
        inbox.commit.set()
        await adapter.aclose(grace=0.5)
        await runner.cleanup()


@pytest.mark.parametrize("before_ack", [True, False], ids=["commit-then-ack", "ack-then-commit"])
async def test_the_ack_leaves_only_once_the_request_is_committed(slack_api: FakeSlackApi, before_ack: bool) -> None:
    async with served(slack_api, before_ack) as (server, inbox):
        await one_command(server, inbox)


async def one_command(server: Server, inbox: Inbox) -> None:
    body = wire.slash_command("add a contact Jane Doe, jane@acme.example, at Acme Corp")
    answer = asyncio.create_task(server.post(body, wire.FORM, wire.sign(body)))
    await asyncio.wait({answer}, timeout=1.0)
    if inbox.before_ack:
        assert not answer.done() and inbox.committed == []
        inbox.commit.set()
    else:  # acked while the commit waits: the window DEPUTY_INBOX_COMMIT_BEFORE_ACK closes
        assert answer.done() and inbox.committed == []
        inbox.commit.set()
    status, _, _ = await answer
    assert status == 200
    for _ in range(100):
        if inbox.committed:
            break
        await asyncio.sleep(0.01)
    assert inbox.committed == ["command"]


async def test_a_failed_commit_is_an_error_and_the_event_retry_is_taken(slack_api: FakeSlackApi) -> None:
    async with served(slack_api, before_ack=True) as (server, inbox):
        await a_failed_commit(server, inbox)


async def a_failed_commit(server: Server, inbox: Inbox) -> None:
    inbox.commit.set()
    inbox.failing = 1
    body = wire.event_callback(wire.mention("<@UDEPUTY> what's overdue?", ts="1760000400.000400"),
                               event_id="Ev0COMMIT01")
    status, _, _ = await server.post(body, wire.JSON, wire.sign(body))
    assert status == 500 and inbox.committed == []
    # Slack retries an event that was not acknowledged: this time it is taken
    status, _, _ = await server.post(body, wire.JSON, {**wire.sign(body), "X-Slack-Retry-Num": "1"})
    assert status == 200 and inbox.committed == ["app_mention"]
    # and a retry of an event already taken is still dropped
    status, _, _ = await server.post(body, wire.JSON, {**wire.sign(body), "X-Slack-Retry-Num": "2"})
    assert status == 200 and inbox.committed == ["app_mention"]
