"""A planner that stalled past its lease, and one that died between a post and its record
(bot/store/inbox_fence.py, bot/flow/goal_redo.py), on both databases, through the Slack
adapter's real work on the fake Slack: leases are kept by the database's clock; the stalled
planner's card post is sent but its record refused, so one card is recorded (the new
holder's) and the stalled one stops, saying so in the log; a redo finds the card the first
attempt posted (by its message metadata) and records it instead of posting a second."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlmodel import select

from bot.adapters.inbox import Sealer, consume
from bot.adapters.slack.app import SlackAdapter
from bot.adapters.slack.metadata import card_metadata, root_metadata
from bot.app import Deputy, dispatcher, thread_door
from bot.chat.replies import Notice
from bot.domain import Where
from bot.errors import DatabaseUnavailable, LeaseLost
from bot.settings import Settings, load_settings
from bot.store import inbox, inbox_fence, messages
from bot.store.clock import system_clock
from bot.store.database import Database
from bot.store.inbox import InboxRow
from bot.store.tables import ChatMessageRow
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import slack_settings
from tests.adapters.slack.live import buttons_of
from tests.core.conftest import make_app
from tests.fakes.slack_api import Call, FakeSlackApi

GOAL = "add a contact Jane Doe, jane@acme.example, at Acme Corp"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London")


@pytest.fixture
async def app(database: Database, settings: Settings) -> Deputy:
    # the system clock: a retry's pause and a lease's expiry must really pass
    return await make_app(database, settings, clock=system_clock)


@pytest.fixture
async def adapter(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[SlackAdapter]:
    made = SlackAdapter(slack_settings(slack_api), dispatcher(app, redeliverable=True),
                        default_timezone="Europe/London", thread_known=thread_door(app, "slack"))
    app.attach(made.port)
    yield made
    await made.aclose(grace=0.5)


def cards(api: FakeSlackApi) -> list[Call]:
    return [c for c in api.of("chat.postMessage")
            if c.params.get("thread_ts") and c.answer and buttons_of(c.params.get("blocks") or [])[0]]


async def recorded_cards(database: Database) -> list[str]:
    async with database.session(all_teams=True) as session:
        found = await session.exec(select(ChatMessageRow).where(ChatMessageRow.kind == "plan_card"))
        return [row.message_id for row in found.all()]


async def queue_goal(database: Database, sealer: Sealer, api: FakeSlackApi, goal: str = GOAL) -> int:
    body = dict(parse_qsl(wire.slash_command(goal, response_url=api.response_url)))
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", sealer.seal("command", {"body": body, "action": None}))])
        [row] = (await session.exec(select(InboxRow))).all()
    assert row.id is not None
    return row.id


async def inbox_empty(database: Database) -> bool:
    async with database.session(all_teams=True) as session:
        return not (await session.exec(select(InboxRow))).all()


async def until(check: Callable[[], Any], what: str, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached in {within}s: {what}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def planner(database: Database, sealer: Sealer, adapter: SlackAdapter, owner: str,
                  **options: Any) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(consume(database, sealer, adapter.work, give_up=adapter.give_up, owner=owner,
                                       poll=0.01, stop=stop, **options))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def test_a_planner_that_stalled_past_its_lease_records_no_card_and_stops(
        app: Deputy, adapter: SlackAdapter, slack_api: FakeSlackApi, database: Database,
        caplog: pytest.LogCaptureFixture) -> None:
    sealer = Sealer("slack", wire.SECRET)
    row_id = await queue_goal(database, sealer, slack_api)
    first: list[bool] = []

    def first_card(params: dict[str, Any]) -> bool:  # only planner-a's card post waits
        if not params.get("thread_ts") or first:
            return False
        first.append(True)
        return True

    stalled = slack_api.hold("chat.postMessage", first_card)
    caplog.set_level(logging.WARNING, logger="bot.adapters.inbox")
    # one request at a time: planner-a cannot take its own expired row back while it stalls
    async with planner(database, sealer, adapter, "planner-a", lease_seconds=60, concurrency=1):
        await until(lambda: slack_api.held, "planner-a's card post sent and waiting")
        async with database.session(all_teams=True) as session:  # a stalls: its lease runs out
            await inbox.release(session, row_id, "planner-a", after_seconds=-1)
        async with planner(database, sealer, adapter, "planner-b", lease_seconds=60):
            await until(lambda: recorded_cards(database), "planner-b's card recorded")
            [b_card] = cards(slack_api)
            await until(lambda: inbox_empty(database), "the request finished and deleted")
        stalled.set()  # a wakes: Slack takes its card, which can no longer be unsent
        await until(lambda: len(cards(slack_api)) == 2, "planner-a's late card")
        await until(lambda: "attempt 1 lost its lease" in caplog.text, "planner-a saying it stopped")
    assert await recorded_cards(database) == [b_card.answer["ts"]]  # type: ignore[index]
    assert slack_api.of("chat.postEphemeral") == []  # nobody was told "something went wrong"
    # one clear line, not an "unexpected error" with a traceback, nor a failed attempt
    assert "unexpected error" not in caplog.text and "failed" not in caplog.text


def dies_once(monkeypatch: pytest.MonkeyPatch, module: object, name: str, error: Exception) -> None:
    """``module.name`` (a coroutine function) raises ``error`` on its first call and does its
    real work from the second on: a planner that dies between a post and its record, then
    redoes the request."""
    real = getattr(module, name)
    calls: list[bool] = []

    async def once(*args: Any, **kwargs: Any) -> Any:
        calls.append(True)
        if len(calls) == 1:
            raise error
        return await real(*args, **kwargs)

    monkeypatch.setattr(module, name, once)


async def test_a_redo_records_the_card_the_first_attempt_posted_instead_of_posting_again(
        app: Deputy, adapter: SlackAdapter, slack_api: FakeSlackApi, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sealer = Sealer("slack", wire.SECRET)
    await queue_goal(database, sealer, slack_api)
    # the first attempt fails right after Slack took its card
    dies_once(monkeypatch, messages, "remember", DatabaseUnavailable("The database cannot be reached right now"))
    async with planner(database, sealer, adapter, "planner-a", retry_seconds=0.01):
        await until(lambda: recorded_cards(database), "the redo's record of the card")
        await until(lambda: inbox_empty(database), "the request finished and deleted")
    [card] = cards(slack_api)
    assert card.params["metadata"] == {"event_type": "deputy_plan_card",
                                       "event_payload": {"plan": 1, "version": 1}}
    assert await recorded_cards(database) == [card.answer["ts"]]  # type: ignore[index]
    assert slack_api.of("conversations.replies")  # it looked before posting


async def test_a_card_or_root_another_app_posted_with_deputys_metadata_is_not_adopted(
        adapter: SlackAdapter, slack_api: FakeSlackApi) -> None:
    # any app in the channel can attach any metadata: only Deputy's own bot's message counts
    port = adapter.port
    root = await port.post_root(wire.CHANNEL, "someone asked", key="k1")
    thread = Where(platform="slack", channel_id=wire.CHANNEL, thread_id=root)

    def message(bot_id: str, at: float, metadata: dict[str, Any], in_thread: bool = True) -> str:
        ts = f"{float(root) + at:.6f}"
        slack_api.messages[(wire.CHANNEL, ts)] = {
            "type": "message", "text": "Plan 1 v1", "ts": ts, "bot_id": bot_id, "blocks": [],
            "metadata": metadata, **({"thread_ts": root} if in_thread else {})}
        return ts

    message("BOTHER", 0.1, card_metadata(1, 1))
    message("BOTHER", 0.2, root_metadata("k2"), in_thread=False)
    assert await port.find_card(thread, 1, 1) is None
    assert await port.find_root(wire.CHANNEL, "k2") is None
    assert await port.find_root(wire.CHANNEL, "k1") == root
    ours = message("BDEPUTY", 0.3, card_metadata(1, 1))  # the bot id auth.test gives the token
    found = await port.find_card(thread, 1, 1)
    assert found is not None and found.message_id == ours


async def test_a_redo_finds_the_root_message_the_first_attempt_posted_but_never_noted(
        app: Deputy, adapter: SlackAdapter, slack_api: FakeSlackApi, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sealer = Sealer("slack", wire.SECRET)
    await queue_goal(database, sealer, slack_api)
    # the first attempt fails right after Slack took the root message (not with a busy
    # database: that attempt's release keeps its notes)
    dies_once(monkeypatch, inbox, "note", RuntimeError("the planner failed here"))
    async with planner(database, sealer, adapter, "planner-a", retry_seconds=0.01):
        await until(lambda: recorded_cards(database), "the card recorded")
        await until(lambda: inbox_empty(database), "the request finished and deleted")
    roots = [c for c in slack_api.of("chat.postMessage") if not c.params.get("thread_ts")]
    assert len(roots) == 1 and roots[0].params["metadata"]["event_type"] == "deputy_request"
    [card] = cards(slack_api)
    assert card.params["thread_ts"] == roots[0].answer["ts"]  # type: ignore[index]
    assert slack_api.of("conversations.history")  # it looked before posting


async def test_the_chat_port_says_nothing_for_a_planner_whose_lease_was_taken(
        app: Deputy, adapter: SlackAdapter, slack_api: FakeSlackApi, database: Database) -> None:
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", b"x")])
        [row] = await inbox.take(session, "slack", 1, "planner-a", lease_seconds=-1)
        [again] = await inbox.take(session, "slack", 1, "planner-b", lease_seconds=60)
    assert row.id is not None and again.attempts == 2
    where = Where(platform="slack", channel_id=wire.CHANNEL, thread_id="1760000001.000001")
    with inbox_fence.holding(inbox_fence.Lease(row.id, "planner-a", 1, 60)):
        with pytest.raises(LeaseLost):
            await app.port("slack").post(where, Notice("late"))
    with inbox_fence.holding(inbox_fence.Lease(row.id, "planner-b", 2, 60)):
        await app.port("slack").post(where, Notice("on time"))
    [said] = slack_api.of("chat.postMessage")
    assert "on time" in said.params["text"]


# PostgreSQL only: on SQLite the database is a file on the planner's own machine, one clock
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_on_postgresql_leases_are_kept_by_the_databases_clock_not_the_planners(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    real = inbox.utcnow
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", b"x")])
        [row] = await inbox.take(session, "slack", 1, "planner-a", lease_seconds=60)
    assert row.id is not None
    # planner-a's machine runs an hour slow: its renewal must still hold the row for 60 s
    monkeypatch.setattr(inbox, "utcnow", lambda: real() - timedelta(hours=1))
    async with database.session(all_teams=True) as session:
        assert await inbox.renew(session, [row.id], "planner-a", 60) == {row.id}
    # planner-b's machine runs an hour fast: it must not think planner-a's lease expired
    monkeypatch.setattr(inbox, "utcnow", lambda: real() + timedelta(hours=1))
    async with database.session(all_teams=True) as session:
        assert await inbox.take(session, "slack", 1, "planner-b", lease_seconds=60) == []


async def test_a_redo_records_the_question_the_first_attempt_posted_instead_of_asking_again(
        app: Deputy, adapter: SlackAdapter, slack_api: FakeSlackApi, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sealer = Sealer("slack", wire.SECRET)
    await queue_goal(database, sealer, slack_api, "book a meeting with Zed Zapp tomorrow")
    remember = messages.remember
    crashed: list[bool] = []

    async def dies_once(*args: Any, **kwargs: Any) -> None:
        if not crashed:  # the first attempt fails right after Slack took its question
            crashed.append(True)
            raise DatabaseUnavailable("The database cannot be reached right now")
        await remember(*args, **kwargs)

    async def recorded_answers() -> list[str]:
        async with database.session(all_teams=True) as session:
            found = await session.exec(select(ChatMessageRow).where(ChatMessageRow.kind == messages.ANSWER))
            return [row.message_id for row in found.all()]

    monkeypatch.setattr(messages, "remember", dies_once)
    async with planner(database, sealer, adapter, "planner-a", retry_seconds=0.01):
        await until(recorded_answers, "the redo's record of the question")
        await until(lambda: inbox_empty(database), "the request finished and deleted")
    # nobody matches the name: the preview turns the plan into a question (asked once)
    [asked] = [c for c in slack_api.of("chat.postMessage") if "nothing to approve yet" in c.params.get("text", "")]
    assert asked.params["metadata"]["event_type"] == "deputy_answer"
    assert await recorded_answers() == [asked.answer["ts"]]  # type: ignore[index]
    assert slack_api.of("conversations.replies")  # it looked before asking again
