"""The whole of Deputy behind Slack's HTTP door: the real core (local integration, rule
planner, demo data, a worker draining runs), the Slack adapter on 127.0.0.1, and the fake
Slack Web API. Plus what the end-to-end tests read back: the database and the fake's calls."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from sqlmodel import SQLModel, select

from bot.adapters.slack.app import SlackAdapter
from bot.adapters.slack.http import create_http_app
from bot.app import Deputy, dispatcher
from bot.chat.buttons import ButtonId, parse_button
from bot.execution.worker import Worker
from bot.store.tables import ApprovalRow, GoalRow, PlanRow, PlanVersionRow, RunRow, StepResultRow
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import Server, slack_settings
from tests.fakes.slack_api import Call, FakeSlackApi

# what "no goal, plan or run was created or changed" is checked against
STATE_TABLES: tuple[type[SQLModel], ...] = (GoalRow, PlanRow, PlanVersionRow, ApprovalRow, RunRow, StepResultRow)


@dataclass
class Card:
    """A plan card as Slack would show it: the message, and its buttons by action."""

    call: Call
    ts: str  # what Slack answered: the message's id, for chat.update and clicks
    buttons: dict[str, ButtonId]
    values: dict[str, str]

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return blocks_of(self.call)

    @property
    def thread_ts(self) -> str:
        return str(self.call.params["thread_ts"])


def buttons_of(blocks: list[dict[str, Any]]) -> tuple[dict[str, ButtonId], dict[str, str]]:
    """Buttons of the actions blocks; every action id must parse as a Deputy button."""
    parsed: dict[str, ButtonId] = {}
    values: dict[str, str] = {}
    for block in blocks:
        if block.get("type") != "actions":
            continue
        for element in block["elements"]:
            button = parse_button(element["action_id"])
            parsed[button.action] = button
            values[button.action] = str(element.get("value", ""))
    return parsed, values


def blocks_of(call: Call) -> list[dict[str, Any]]:
    return list(call.params.get("blocks") or [])


def text_of(blocks: list[dict[str, Any]]) -> str:
    """Everything a person reads in the blocks, as one string."""
    parts: list[str] = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        for element in block.get("elements", []):
            if element.get("type") in ("mrkdwn", "plain_text"):
                parts.append(str(element.get("text", "")))
    return "\n".join(parts)


@dataclass
class Live:
    app: Deputy
    adapter: SlackAdapter
    api: FakeSlackApi
    server: Server

    async def send(self, body: str, content_type: str, headers: dict[str, str] | None = None) -> int:
        status, _, elapsed = await self.server.post(body, content_type, wire.sign(body) if headers is None else headers)
        assert elapsed < 3.0, f"Slack gives up after 3 s; this ack took {elapsed:.2f}s"
        return status

    async def slash(self, text: str, *, user: str = "U0ANNA", trigger: str | None = None) -> None:
        trigger = trigger or self.api.trigger_id()  # a fresh one, as Slack sends
        body = wire.slash_command(text, user=user, trigger=trigger, response_url=self.api.response_url)
        assert await self.send(body, wire.FORM) == 200

    async def click(self, card: Card, action: str, *, user: str, action_ts: str = "1760000300.123456") -> int:
        payload = wire.block_actions(str(card.buttons[action]), value=card.values[action], user=user,
                                     thread_ts=card.thread_ts, message_ts=card.ts,
                                     trigger=self.api.trigger_id())
        payload["user"]["username"] = payload["user"]["name"] = user.lower()
        payload["actions"][0]["action_ts"] = action_ts
        body = wire.interactive(payload)
        return await self.send(body, wire.FORM)

    def cards(self) -> list[Card]:
        """Plan cards posted in threads, oldest first, each with the ts Slack gave it."""
        found = []
        for call, answer_ts in self._posts():
            buttons, values = buttons_of(call.params.get("blocks") or [])
            if call.params.get("thread_ts") and buttons:
                found.append(Card(call, answer_ts, buttons, values))
        return found

    def _posts(self) -> list[tuple[Call, str]]:
        # the fake numbers its ts in call order: the n-th posted message got ts n
        posted = [c for c in self.api.calls if c.method in ("chat.postMessage", "chat.postEphemeral")]
        return [(c, f"{1_760_000_000 + n}.{n:06d}") for n, c in enumerate(posted, start=1)
                if c.method == "chat.postMessage"]

    async def card(self, count: int = 1, within: float = 30.0) -> Card:
        """Wait until ``count`` plan cards were posted; the newest one."""
        await eventually(lambda: len(self.cards()) >= count, within, f"{count} plan card(s)")
        return self.cards()[-1]

    def thread_posts(self, thread_ts: str) -> list[Call]:
        return [c for c in self.api.of("chat.postMessage") if c.params.get("thread_ts") == thread_ts]

    def updates_of(self, ts: str) -> list[Call]:
        return [c for c in self.api.of("chat.update") if c.params.get("ts") == ts]

    async def ephemeral(self, user: str, within: float = 30.0) -> Call:
        def mine() -> list[Call]:
            return [c for c in self.api.of("chat.postEphemeral") if c.params.get("user") == user]
        await eventually(lambda: bool(mine()), within, f"an ephemeral message to {user}")
        return mine()[-1]

    async def settle(self) -> None:
        """Let accepted Slack work and any queued run finish."""
        await self.adapter.drain()
        await Worker(self.app, "settle").drain()


async def eventually(check: Any, within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def state(app: Deputy) -> dict[str, list[dict[str, Any]]]:
    """Every goal, plan, version, approval, run and step result, as plain values."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with app.database.session(all_teams=True) as session:
        for table in STATE_TABLES:
            rows = (await session.exec(select(table))).all()
            found[table.__name__] = sorted((row.model_dump() for row in rows), key=repr)
    return found


async def count(app: Deputy, table: type[SQLModel]) -> int:
    return len((await state(app))[table.__name__])


@contextlib.asynccontextmanager
async def live_slack(app: Deputy, api: FakeSlackApi) -> AsyncIterator[Live]:
    """Serve ``app`` behind Slack's HTTP door on 127.0.0.1, with a worker in the background."""
    adapter = SlackAdapter(slack_settings(api), dispatcher(app), default_timezone="Europe/London")
    app.attach(adapter.port)
    runner = web.AppRunner(create_http_app(adapter), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    worker = asyncio.create_task(Worker(app, "e2e").run_forever(), name="e2e-worker")
    try:
        async with aiohttp.ClientSession() as session:
            yield Live(app, adapter, api, Server(f"http://127.0.0.1:{port}", session))
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await adapter.aclose(grace=2)
        await runner.cleanup()
