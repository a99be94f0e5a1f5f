"""A redo after a crash between Discord taking a post and Deputy recording it posts nothing
twice (bot/adapters/discord/marks.py): the plan card is found in the thread by its footer,
and a card's or a question's post carries a nonce that Discord, for a few minutes, answers
with the first message instead of a second one. The real discord.py client and the full core
against the fake Discord, which keeps nonces as Discord does (tests/fakes/discord_server.py).

Discord events do not go through the planner's inbox today (no Discord redo happens in
production): the redo is driven here as the inbox drives Slack's, with ``redelivered``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.adapters.discord.port import DiscordPort
from bot.app import Deputy
from bot.chat.events import GoalPosted
from bot.chat.replies import CardState, PlanCard
from bot.dispatch import dispatch
from bot.domain import Where
from bot.errors import DatabaseUnavailable
from bot.store import messages
from bot.store.database import Database
from bot.store.tables import ChatMessageRow
from tests.adapters.discord.conftest import Recorder, Running, connect, disconnect
from tests.fakes.discord_server import FakeDiscord


@pytest.fixture
async def on_discord(fake: FakeDiscord, app: Deputy) -> AsyncIterator[Running]:
    running = await connect(fake, Recorder())  # the test dispatches each event itself
    app.attach(running.port)
    yield running
    await disconnect(running)


async def rest(fake: FakeDiscord, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.request(
            method, fake.api_url + path, json=body, headers={"Authorization": f"Bot {fake.token}"}) as answer:
        return answer.status, await answer.json()


async def test_the_fake_keeps_a_nonce_for_a_few_minutes_and_refuses_a_long_one(fake: FakeDiscord) -> None:
    where = f"/channels/{fake.channel_id}/messages"
    status, refused = await rest(fake, "POST", where, {"content": "hi", "nonce": "n" * 26, "enforce_nonce": True})
    assert status == 400 and refused["code"] == 50035 and "nonce" in refused["errors"]
    _, first = await rest(fake, "POST", where, {"content": "hi", "nonce": "n1", "enforce_nonce": True})
    _, again = await rest(fake, "POST", where, {"content": "hi", "nonce": "n1", "enforce_nonce": True})
    assert again["id"] == first["id"] and first["nonce"] == "n1"
    _, unenforced = await rest(fake, "POST", where, {"content": "hi", "nonce": "n1"})
    assert unenforced["id"] != first["id"]  # without enforce_nonce a nonce only comes back
    fake.advance(fake.nonce_seconds + 1)
    _, later = await rest(fake, "POST", where, {"content": "hi", "nonce": "n1", "enforce_nonce": True})
    assert later["id"] not in (first["id"], unenforced["id"])
    status, history = await rest(fake, "GET", where + "?limit=2")
    assert status == 200 and [m["id"] for m in history] == [later["id"], unenforced["id"]]
    assert all("nonce" not in m for m in history)  # a fetched message's nonce is not relied on
    status, refused = await rest(fake, "GET", where + "?limit=101")
    assert status == 400 and "limit" in refused["errors"]


async def ask(running: Running, text: str) -> GoalPosted:
    fake = running.fake
    await fake.post_message("alice", f"<@{fake.bot['id']}> {text}")
    [event] = await running.recorder.wait_for(1)
    assert isinstance(event, GoalPosted)
    return event


def dies_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first record of a post fails (the process died right after Discord took it)."""
    remember = messages.remember
    crashed: list[bool] = []

    async def once(*args: Any, **kwargs: Any) -> None:
        if not crashed:
            crashed.append(True)
            raise DatabaseUnavailable("The database cannot be reached right now")
        await remember(*args, **kwargs)

    monkeypatch.setattr(messages, "remember", once)


async def crash_and_redo(app: Deputy, event: GoalPosted, monkeypatch: pytest.MonkeyPatch,
                         between: float = 0, fake: FakeDiscord | None = None) -> None:
    dies_once(monkeypatch)
    with pytest.raises(DatabaseUnavailable):
        await dispatch(app, event, redeliverable=True)
    if fake is not None:
        fake.advance(between)
    await dispatch(app, replace(event, redelivered=True), redeliverable=True)


def bot_messages(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in fake.messages.values() if m["author"]["id"] == fake.bot["id"]]


def cards(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in bot_messages(fake)
            if m["embeds"] and m["embeds"][0].get("footer", {}).get("text", "").startswith("plan ")]


async def recorded(database: Database, kind: str) -> list[str]:
    async with database.session(all_teams=True) as session:
        found = await session.exec(select(ChatMessageRow).where(ChatMessageRow.kind == kind))
        return [row.message_id for row in found.all()]


async def test_a_redo_long_after_the_crash_records_the_card_it_finds_in_the_thread(
        on_discord: Running, app: Deputy, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = on_discord.fake
    event = await ask(on_discord, "invoice Acme for last month")
    # the nonce is forgotten by the time of the redo: only the thread's history can tell
    await crash_and_redo(app, event, monkeypatch, between=fake.nonce_seconds + 1, fake=fake)
    [card] = cards(fake)
    assert card["embeds"][0]["footer"]["text"] == "plan 1 · version 1"
    assert await recorded(database, "plan_card") == [card["id"]]
    assert fake.calls_to("GET", f"/channels/{card['channel_id']}/messages")  # it looked before posting


async def test_a_redo_within_minutes_gets_the_first_card_back_even_if_it_cannot_read_the_thread(
        on_discord: Running, app: Deputy, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # e.g. no Read Message History: Discord then returns no messages, and the lookup finds none
    async def finds_nothing(self: DiscordPort, *args: Any) -> None:
        return None

    monkeypatch.setattr(DiscordPort, "find_card", finds_nothing)
    fake = on_discord.fake
    await crash_and_redo(app, await ask(on_discord, "invoice Acme for last month"), monkeypatch)
    [card] = cards(fake)
    posts = [c for c in fake.calls_to("POST", f"/channels/{card['channel_id']}/messages") if c.body.get("embeds")]
    assert len(posts) == 2 and posts[0].body["nonce"] == posts[1].body["nonce"]
    assert posts[0].body["enforce_nonce"] is True
    assert await recorded(database, "plan_card") == [card["id"]]


async def test_a_redo_within_minutes_does_not_ask_the_same_question_twice(
        on_discord: Running, app: Deputy, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = on_discord.fake
    await crash_and_redo(app, await ask(on_discord, "book a meeting with Zed Zapp tomorrow"), monkeypatch)
    # nobody matches the name: Deputy asks who is meant, once; the redo's post of the question
    # carried the first one's nonce, and Discord answered it with the first message
    [asked] = [m for m in bot_messages(fake) if "nobody called Zed Zapp" in m["content"]]
    posts = [c for c in fake.calls_to("POST", f"/channels/{asked['channel_id']}/messages")
             if "Zed Zapp" in (c.body.get("content") or "")]
    assert len(posts) == 2 and posts[0].body["nonce"] == posts[1].body["nonce"]
    assert await recorded(database, messages.ANSWER) == [asked["id"]]


async def test_two_monitor_cards_in_one_thread_are_both_posted(discord_bot: Running) -> None:
    # a monitor's card names plan 0 v1: a nonce of its plan would make Discord return the first
    fake = discord_bot.fake
    thread = fake.open_thread(fake.channel_id, "monitors")
    where = Where(platform="discord", channel_id=fake.channel_id, thread_id=thread["id"])
    for monitor in (1, 2):
        card = PlanCard(goal_id=monitor, plan_id=0, version=1, goal_text="watch", requester="alice",
                        summary="watch the inbox", steps=(), state=CardState.AWAITING,
                        approvals_required=1, monitor_id=monitor)
        await discord_bot.port.post(where, card)
    posted = [m for m in bot_messages(fake) if m["channel_id"] == thread["id"]]
    assert [m["embeds"][0]["footer"]["text"] for m in posted] == ["monitor 1 · version 1", "monitor 2 · version 1"]
