"""The memory commands in chat: remember, memories, what do you remember about X, forget —
with provenance, scope, permission and an audit record for every change."""

from __future__ import annotations

from sqlmodel import col, select

from bot.app import Deputy
from bot.chat.command_syntax import parse_command
from bot.store.memories import MemoryRow
from bot.store.tables import AuditRow
from tests.support.chat import Chat


def test_memory_commands_parse_the_same_on_every_platform() -> None:
    assert parse_command("remember that our standups are 15 minutes") == (
        "remember", "that our standups are 15 minutes")
    assert parse_command("remember for me: Ana prefers mornings") == ("remember", "for me: Ana prefers mornings")
    assert parse_command("forget 3") == ("forget", "3")
    assert parse_command("memories") == ("memories", "")
    assert parse_command("what do you remember about Acme?") == ("memories", "Acme")
    assert parse_command("What do you remember") == ("memories", "")
    assert parse_command("when did we last meet Initech?") == ("last", "meet Initech")


async def test_a_hyphenated_topic_finds_the_joined_word(chat: Chat) -> None:
    await chat.say("remember that our standups are 15 minutes")
    assert "our standups are 15 minutes" in await chat.say("what do you remember about stand-ups?")
    # goals, not commands
    assert parse_command("remember to call Ana tomorrow") is None
    assert parse_command("forget the retro") is None
    assert parse_command("remember") is None


async def _rows(deputy: Deputy) -> list[MemoryRow]:
    async with deputy.database.session(all_teams=True) as session:
        return list((await session.exec(select(MemoryRow).order_by(col(MemoryRow.id)))).all())


async def test_listing_shows_provenance_and_topic_search(chat: Chat, deputy: Deputy) -> None:
    await chat.say("remember that Acme's invoices go to ap@acme.example", as_user="Ana Lima")
    await chat.say("remember that Globex pays net-45")
    listed = await chat.say("memories")
    assert "#1 Acme's invoices go to ap@acme.example — from Ana Lima, 25 Nov (channel)" in listed
    assert "#2 Globex pays net-45 — from Dev Patel, 25 Nov (channel)" in listed
    about = await chat.say("what do you remember about Acme?")
    assert "Acme's invoices go to ap@acme.example" in about and "Globex" not in about
    assert "nothing about Initech" in await chat.say("what do you remember about Initech")


async def test_supersede_keeps_history_and_audits(chat: Chat, deputy: Deputy) -> None:
    await chat.say("remember that our standups are 15 minutes")
    answer = await chat.say("remember that standups are 20 minutes", as_user="Ana Lima")
    assert "It replaces #1 “our standups are 15 minutes”" in answer
    old, new = await _rows(deputy)
    assert old.valid_to is not None and old.superseded_by == new.id and old.forgotten_at is None
    assert new.valid_to is None and new.value == {"meeting": "standup", "with": "", "minutes": 20}
    listed = await chat.say("memories")
    assert "20 minutes" in listed and "15 minutes" not in listed
    async with deputy.database.session(all_teams=True) as session:
        kinds = [(a.kind, a.data.get("superseded")) for a in (await session.exec(
            select(AuditRow).where(col(AuditRow.kind).like("memory%")).order_by(col(AuditRow.seq)))).all()]
    assert kinds == [("memory_added", []), ("memory_added", [1])]


async def test_forget_only_by_its_author_or_a_keeper(chat: Chat, deputy: Deputy) -> None:
    await chat.say("remember that the team is Ana and Ben")
    refused = await chat.say("forget 1", as_user="Ana Lima")
    assert "only they or the policy's memory_keepers can forget it" in refused
    assert (await _rows(deputy))[0].forgotten_at is None
    done = await chat.say("forget 1")
    assert "Forgotten: #1" in done
    row = (await _rows(deputy))[0]
    assert row.forgotten_by == "shell:local:dev patel" and row.forgotten_at is not None
    assert "remember nothing here" in await chat.say("memories")
    assert "no longer in use" in await chat.say("forget 1")
    async with deputy.database.session(all_teams=True) as session:
        audited = (await session.exec(select(AuditRow).where(AuditRow.kind == "memory_forgotten"))).all()
    assert [a.data["memory"] for a in audited] == [1]


async def test_scopes_in_listing(chat: Chat, deputy: Deputy) -> None:
    await chat.say("remember for me: I prefer mornings")
    await chat.say("remember for the team: Globex pays net-45")
    chat.session.channel = "design"
    await chat.say("remember that the design review is on Fridays")
    listed = await chat.say("memories")
    assert "I prefer mornings" in listed and "net-45" in listed and "design review" in listed
    chat.session.channel = "terminal"
    mine = await chat.say("memories")
    assert "design review" not in mine
    other = await chat.say("memories", as_user="Ana Lima")
    assert "I prefer mornings" not in other and "net-45" in other
    # a memory of another channel is not there to forget either
    assert "There is no memory #3 here" in await chat.say("forget 3")


async def test_empty_and_overlong_statements_are_refused(chat: Chat, deputy: Deputy) -> None:
    assert "Tell me what to remember" in await chat.say("remember that")
    assert "at most 500" in await chat.say("remember that " + "x " * 300)
    assert await _rows(deputy) == []


async def test_a_memory_can_last_a_while(chat: Chat, deputy: Deputy) -> None:
    answer = await chat.say("remember for the team for 2 weeks: Globex pays net-45")
    assert "I'll remember for the team until 9 Dec 2026: “Globex pays net-45”" in answer
    assert "(team, until 9 Dec)" in await chat.say("memories")
    assert "from 1 day to 10 years" in await chat.say("remember for 0 days: Globex pays net-30")
    assert len(await _rows(deputy)) == 1
