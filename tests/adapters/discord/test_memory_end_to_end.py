"""Team memory on Discord, end to end: the real discord.py client and the full core against
the fake Discord. `/deputy remember …`, `memories`, `what do you remember about X`, `forget N`
(answered ephemerally); Deputy's offer with its [Remember] [No] buttons (a discord.ui View)
bound to the person who taught it; a later card's "Using: …" line with a [Forget #N]
button, kept on every edit of the card."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from bot.app import Deputy, dispatcher
from bot.execution.worker import Worker
from bot.store.memories import MemoryRow
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import Running, connect, disconnect, eventually
from tests.adapters.discord.test_end_to_end import bot_messages_in
from tests.fakes.discord_server import FakeDiscord

EPHEMERAL = 64
USING = "Using: the team is Ana, Ben and Chloe — from Zoe, 25 Nov (#1"


@pytest.fixture
async def on_discord(fake: FakeDiscord, app: Deputy) -> AsyncIterator[Running]:
    fake.add_person("zoe", ["staff"])
    running = await connect(fake, dispatcher(app))
    app.attach(running.port)
    yield running
    await disconnect(running)


def _private(fake: FakeDiscord) -> list[str]:
    """What Deputy told people ephemerally (interaction follow-ups), oldest first."""
    return [str(c.body.get("content", "")) for c in fake.followups()
            if int(c.body.get("flags", 0)) & EPHEMERAL]


async def _command(fake: FakeDiscord, text: str, who: str = "alice") -> str:
    before = len(_private(fake))
    await fake.slash(who, text)
    await eventually(lambda: len(_private(fake)) > before, 10)
    return "\n".join(_private(fake)[before:])


async def _click(fake: FakeDiscord, who: str, message: dict[str, Any], action: str, *, answered: bool = True) -> str:
    """Click the button whose id ends with ``action``; with ``answered``, wait for what
    Deputy then says to ``who`` privately (the click itself is acknowledged at once)."""
    before = len(_private(fake))
    button = next(c for c in custom_ids(message) if c.endswith(f":{action}"))
    clicked = await fake.click(who, message["id"], button)
    await eventually(lambda: bool(fake.callbacks_for(clicked)), 10)
    if answered:
        await eventually(lambda: len(_private(fake)) > before, 10)
    return "\n".join(_private(fake)[before:])


def _with_button(fake: FakeDiscord, channel: str, action: str) -> list[dict[str, Any]]:
    return [m for m in bot_messages_in(fake, channel) if any(c.endswith(f":{action}") for c in custom_ids(m))]


async def _memories(app: Deputy) -> list[MemoryRow]:
    async with app.database.session(all_teams=True) as session:
        return list((await session.exec(select(MemoryRow))).all())


async def _taught_the_team(fake: FakeDiscord) -> tuple[str, dict[str, Any]]:
    """zoe (whom the demo directory does not know: no colleagues) asks for a meeting with the
    team, Deputy asks who that is, she answers in the thread: (the thread, Deputy's offer)."""
    asked = await fake.post_message("zoe", f"<@{fake.bot['id']}> book a meeting with the team tomorrow at 10")
    thread = asked["id"]
    await eventually(lambda: any("Who is on the team?" in m["content"] for m in bot_messages_in(fake, thread)), 10)
    await fake.post_message("zoe", "Ana, Ben and Chloe", channel_id=thread)
    await eventually(lambda: bool(_with_button(fake, thread, "memory-remember")), 10)
    [offer] = _with_button(fake, thread, "memory-remember")
    return thread, offer


async def test_memory_commands_through_the_slash_command(on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    kept = await _command(fake, "remember that our standups are 15 minutes")
    assert "I'll remember for this channel: “our standups are 15 minutes” (#1)" in kept
    [row] = await _memories(app)
    assert (row.taught_by, row.source_channel) == (f"discord:{fake.guild_id}:{fake.people['alice']['id']}",
                                                   fake.channel_id)
    assert "#1 our standups are 15 minutes — from Alice, 25 Nov (channel)" in await _command(fake, "memories")
    assert "our standups are 15 minutes" in await _command(fake, "what do you remember about stand-ups?")
    assert "only they or the policy's memory_keepers" in await _command(fake, "forget 1", who="bob")
    assert "Forgotten: #1" in await _command(fake, "forget 1")
    assert "nothing here yet" in await _command(fake, "memories")


async def test_the_offer_is_answered_by_its_teacher_alone(on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    thread, offer = await _taught_the_team(fake)
    assert "remember that the team is Ana, Ben and Chloe?" in offer["content"]
    labels = [c["label"] for row in offer["components"] for c in row["components"]]
    assert labels == ["Remember", "No"]
    assert "Only Zoe can answer this" in await _click(fake, "alice", offer, "memory-remember")
    assert await _memories(app) == [] and fake.messages[offer["id"]]["components"]
    await _click(fake, "zoe", offer, "memory-remember", answered=False)  # the offer itself is edited
    await eventually(lambda: not fake.messages[offer["id"]]["components"], 10)
    assert "Remembered for this channel: “the team is Ana, Ben and Chloe” (#1)" in fake.messages[offer["id"]]["content"]
    [row] = await _memories(app)
    assert row.kind == "team_members" and row.source_channel == fake.channel_id and row.source_message


async def test_no_is_recorded(on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    _, offer = await _taught_the_team(fake)
    await _click(fake, "zoe", offer, "memory-no", answered=False)
    await eventually(lambda: not fake.messages[offer["id"]]["components"], 10)
    assert "I won't offer it again" in fake.messages[offer["id"]]["content"]
    assert await _memories(app) == []


async def test_a_later_card_says_using_on_every_edit_and_forget_works(on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    _, offer = await _taught_the_team(fake)
    await _click(fake, "zoe", offer, "memory-remember", answered=False)  # the offer itself is edited
    await eventually(lambda: not fake.messages[offer["id"]]["components"], 10)
    asked = await fake.post_message("zoe", f"<@{fake.bot['id']}> book a meeting with the team tomorrow at 11")
    await eventually(lambda: bool(_with_button(fake, asked["id"], "approve")), 10)
    [card] = _with_button(fake, asked["id"], "approve")
    assert USING in card["embeds"][0]["description"]
    assert any(c.endswith(":memory-forget") for c in custom_ids(card))
    await _click(fake, "alice", card, "approve", answered=False)  # alice is in finance: she may approve
    await eventually(app.work_available.is_set)
    await Worker(app, "test").drain()
    edited = fake.messages[card["id"]]
    assert "Done" in edited["embeds"][0]["description"] and USING in edited["embeds"][0]["description"]
    edits = [c for c in fake.calls_to("PATCH", f"/messages/{card['id']}")]
    assert len(edits) >= 2 and all(USING in c.body["embeds"][0]["description"] for c in edits)
    assert "only they or the policy's memory_keepers" in await _click(fake, "alice", edited, "memory-forget")
    assert "Forgotten: #1" in await _click(fake, "zoe", edited, "memory-forget")
    await eventually(lambda: "forgotten since" in fake.messages[card["id"]]["embeds"][0]["description"], 10)
    assert not any(c.endswith(":memory-forget") for c in custom_ids(fake.messages[card["id"]]))


TOM = "book a meeting with Tom Becker from Globex tomorrow afternoon"


async def _lengthen(fake: FakeDiscord) -> str:
    """zoe asks for a meeting with Tom and makes it 45 minutes in the Modify form: the thread."""
    asked = await fake.post_message("zoe", f"<@{fake.bot['id']}> {TOM}")
    thread = asked["id"]
    await eventually(lambda: bool(_with_button(fake, thread, "approve")), 10)
    [card] = _with_button(fake, thread, "approve")
    [step] = [f["name"].split(".")[0] for f in card["embeds"][0]["fields"] if "find_free_slots" in f["name"]]
    plan = custom_ids(card)[0].split(':')[1]
    await _click(fake, "zoe", card, "modify", answered=False)
    await fake.submit_modal("zoe", card["id"], f"deputy-modify:{plan}:1",
                            {f"step:{step}": "duration_minutes = 45"})
    # version 2's card is live, version 1's is redrawn without buttons
    await eventually(lambda: [c for m in _with_button(fake, thread, "approve") for c in custom_ids(m)
                              if c.endswith(":approve")] == [f"deputy:{plan}:2:approve"], 10)
    return thread


async def test_the_same_change_in_the_modify_form_twice_is_offered(on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    first = await _lengthen(fake)
    assert not _with_button(fake, first, "memory-remember")  # once is not a habit
    second = await _lengthen(fake)
    await eventually(lambda: bool(_with_button(fake, second, "memory-remember")), 10)
    [offer] = _with_button(fake, second, "memory-remember")
    assert "remember that meetings with Tom Becker are 45 minutes?" in offer["content"]
    assert "Only Zoe can answer this" in await _click(fake, "alice", offer, "memory-remember")
    await _click(fake, "zoe", offer, "memory-remember", answered=False)
    await eventually(lambda: not fake.messages[offer["id"]]["components"], 10)
    [row] = await _memories(app)
    assert (row.kind, row.value["minutes"]) == ("meeting_length", 45)
    third = (await fake.post_message("zoe", f"<@{fake.bot['id']}> {TOM}"))["id"]
    await eventually(lambda: bool(_with_button(fake, third, "approve")), 10)
    [card] = _with_button(fake, third, "approve")
    shown = card["embeds"][0]["description"] + card["embeds"][0]["title"]
    assert "45-minute meeting" in shown and "Using: meetings with Tom Becker are 45 minutes — from Zoe" in shown
