"""[Remember] [No]: Deputy offers to keep what a person taught it — their answer to its
question, or the same change made to two plans — and only that person's click keeps it."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlmodel import col, select

from bot.app import Deputy
from bot.chat.events import ButtonPressed
from bot.dispatch import dispatch
from bot.domain import Actor, Where
from bot.store.database import Database
from bot.store.memories import MemoryRow
from bot.store.memory_proposals import MemoryProposalRow
from bot.store.tables import AuditRow
from tests.support.chat import Chat

TOM = "book a meeting with Tom Becker from Globex tomorrow afternoon"
OFFER = "remember that meetings with Tom Becker are 45 minutes?"


def _step(chat: Chat, action: str) -> int:
    return next(s.number for s in chat.card.steps if s.action.endswith(action))


async def _shorten(chat: Chat, minutes: int = 45) -> str:
    await chat.say(TOM)
    return await chat.say(f"modify {_step(chat, 'find_free_slots')} duration_minutes={minutes}")


async def _memories(deputy: Deputy) -> list[MemoryRow]:
    async with deputy.database.session(all_teams=True) as session:
        return list((await session.exec(select(MemoryRow).order_by(col(MemoryRow.id)))).all())


async def _audit(deputy: Deputy, kind: str) -> list[AuditRow]:
    async with deputy.database.session(all_teams=True) as session:
        return list((await session.exec(select(AuditRow).where(AuditRow.kind == kind))).all())


async def test_the_same_change_twice_is_offered_and_kept_with_provenance(chat: Chat, deputy: Deputy) -> None:
    assert "remember that" not in await _shorten(chat)  # once is not a habit
    offered = await _shorten(chat)
    assert OFFER in offered and "Answer: remember · no" in offered
    assert await _memories(deputy) == []  # an offer is not a memory
    kept = await chat.say("remember")
    assert "Remembered for this channel: “meetings with Tom Becker are 45 minutes” (#1)" in kept
    (row,) = await _memories(deputy)
    assert (row.kind, row.value, row.taught_by, row.source_channel) == (
        "meeting_length", {"meeting": "meeting", "with": "Tom Becker", "minutes": 45}, chat.user.key, "terminal")
    (added,) = await _audit(deputy, "memory_added")
    assert added.data["proposal"] == 1 and added.data["memory"] == row.id
    assert len(await _audit(deputy, "memory_proposed")) == 1
    # the next plan uses it, and says so
    await chat.say(TOM)
    assert "45-minute meeting" in chat.card.summary
    assert "Using: meetings with Tom Becker are 45 minutes — from " in chat.card.note


async def test_only_the_person_who_taught_it_can_answer(chat: Chat, deputy: Deputy) -> None:
    await _shorten(chat)
    await _shorten(chat)
    assert "Only Dev Patel can answer this" in await chat.say("as Ana Lima: remember")
    assert "Only Dev Patel can answer this" in await chat.say("as Ana Lima: no")
    assert await _memories(deputy) == []
    async with deputy.database.session(all_teams=True) as session:
        (offer,) = (await session.exec(select(MemoryProposalRow))).all()
    assert offer.status == "proposed"


async def test_no_is_recorded_and_not_asked_again(chat: Chat, deputy: Deputy) -> None:
    await _shorten(chat)
    await _shorten(chat)
    assert "Not remembered: “meetings with Tom Becker are 45 minutes”. I won't offer it again." in await chat.say("no")
    assert "remember that" not in await _shorten(chat)  # a third time: still not asked
    assert await _memories(deputy) == []
    (declined,) = await _audit(deputy, "memory_proposal_declined")
    assert declined.actor_key == chat.user.key


async def test_a_different_change_or_the_same_goal_is_not_a_habit(chat: Chat, deputy: Deputy) -> None:
    await _shorten(chat, 45)
    assert "remember that" not in await chat.say(f"modify {_step(chat, 'find_free_slots')} duration_minutes=60")
    assert "remember that" not in await chat.say(f"modify {_step(chat, 'find_free_slots')} duration_minutes=45")
    assert "remember that" not in await _shorten(chat, 50)  # another goal, but another length
    assert await _memories(deputy) == []


async def test_an_answer_to_who_is_on_the_team_is_offered(deputy: Deputy) -> None:
    chat = Chat(deputy, user="Zoe Quinn")  # nobody in the directory: no colleagues known
    assert "Who is on the team?" in await chat.say("book a meeting with the team tomorrow at 10")
    answered = await chat.say("reply Ana, Ben and Chloe")
    assert "remember that the team is Ana, Ben and Chloe?" in answered
    assert "Remembered for this channel: “the team is Ana, Ben and Chloe”" in await chat.say("remember")
    (row,) = await _memories(deputy)
    assert row.kind == "team_members" and row.value == {"names": ["Ana", "Ben", "Chloe"]}
    await chat.say("book a meeting with the team tomorrow at 11")
    assert "Using: the team is Ana, Ben and Chloe" in chat.card.note


async def test_a_reply_that_was_not_an_answer_is_not_offered(deputy: Deputy) -> None:
    chat = Chat(deputy, user="Zoe Quinn")
    await chat.say("book a meeting with Ana Lima tomorrow at 10")
    assert "remember that" not in await chat.say("reply make it Ben Okafor instead")
    assert "remember that" not in await chat.say("remember")


async def test_which_ana_answered_is_offered_and_settles_the_next_plan(chat: Chat, deputy: Deputy) -> None:
    await chat.say("add a contact Ana Costa, ana.costa@acme.example, at Acme Corp")
    assert "Done" in await chat.say("as Ana Lima: approve")
    assert "Which Ana do you mean: Ana Costa or Ana Lima?" in await chat.say("book a meeting with Ana tomorrow at 10")
    answered = await chat.say("reply Ana Lima")
    assert "remember that by Ana we mean Ana Lima?" in answered
    assert "Remembered for this channel: “by Ana we mean Ana Lima”" in await chat.say("remember")
    (row,) = await _memories(deputy)
    assert (row.kind, row.value) == ("person_alias", {"name": "Ana", "means": "Ana Lima"})
    await chat.say("book a meeting with Ana tomorrow at 11")  # no question this time
    assert chat.card.goal_text.endswith("at 11") and "with Ana Lima" in chat.card.summary
    assert "Using: by Ana we mean Ana Lima — from " in chat.card.note


async def test_a_click_from_another_channel_or_team_changes_nothing(chat: Chat, deputy: Deputy) -> None:
    await _shorten(chat)
    await _shorten(chat)
    offer = chat.port.latest_offer
    assert offer is not None
    remember = offer.buttons[0].id
    start = len(chat.lines)
    elsewhere = Where(platform="shell", channel_id="elsewhere")
    await dispatch(deputy, ButtonPressed(actor=chat.user, where=elsewhere, button_id=remember))
    other_team = Actor(platform="slack", team_id="T9", user_id=chat.user.user_id, display_name="Dev Patel")
    await dispatch(deputy, ButtonPressed(actor=other_team, where=chat.session.where(True), button_id=remember))
    said = "\n".join(chat.lines[start:])
    assert "That memory proposal belongs to another channel; nothing was changed." in said
    assert "I can't find that memory proposal; nothing was changed." in said
    assert await _memories(deputy) == []
    assert "Remembered" in await chat.say("remember")  # still the teacher's to answer, here


async def test_a_double_click_no_then_remember_keeps_nothing(chat: Chat, deputy: Deputy) -> None:
    """[No] answered in one request (another process, or another connection of this one)
    and not yet committed while [Remember] reads the offer: on SQLite Remember read it as
    still waiting, and must then find it answered instead of keeping it over the No."""
    await _shorten(chat)
    await _shorten(chat)
    other = Database(deputy.database.url)
    try:
        async with other.session(all_teams=True) as session:
            await session.exec(update(MemoryProposalRow).values(status="declined"))  # type: ignore[call-overload]
            remembering = asyncio.create_task(chat.say("remember"))
            await asyncio.sleep(0.5)  # Remember has read the offer (and, on SQLite, waits to write)
        assert "You already said no to this; nothing was changed." in await remembering
    finally:
        await other.dispose()
    assert await _memories(deputy) == []
