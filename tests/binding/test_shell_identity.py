"""`as NAME:` in the shell acts as someone else, so it accepts only a person the shell knows."""

from __future__ import annotations

from sqlmodel import select

from bot.app import Deputy
from bot.store.database import Database
from bot.store.tables import ActorRow, ApprovalRow, RunRow
from tests.support.chat import Chat


async def rows(database: Database, table: type) -> list:
    async with database.session(all_teams=True) as session:
        return list(await session.exec(select(table)))


async def test_an_unknown_name_is_refused_and_nothing_is_recorded(chat: Chat, deputy: Deputy,
                                                                   database: Database) -> None:
    await chat.say("chase overdue invoices")
    out = await chat.say("as Mallory: approve")
    assert "I don't know anyone called 'Mallory'" in out and "nothing was done" in out
    assert await rows(database, ApprovalRow) == [] and await rows(database, RunRow) == []
    assert "shell:local:mallory" not in {a.key for a in await rows(database, ActorRow)}


async def test_an_empty_name_is_refused(chat: Chat, database: Database) -> None:
    await chat.say("chase overdue invoices")
    for line in ("as : approve", "as    : approve"):
        assert "Say who to act as" in await chat.say(line)
    assert await rows(database, ApprovalRow) == []


async def test_the_demo_team_and_people_seen_before_are_accepted(chat: Chat, database: Database) -> None:
    await chat.say("chase overdue invoices")
    assert "Run 1: Done" in await chat.say("as Ana Lima: approve")  # the demo team, full name
    await chat.say("what's overdue?", as_user="Zoe")  # Zoe used Deputy before
    await chat.say("chase overdue invoices")
    out = await chat.say("as zoe: reject")
    assert "I don't know" not in out
