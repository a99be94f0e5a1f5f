"""Privacy erasure against the hash-chained audit log: after `deputy memory forget --person`
the person's memory text is found nowhere in the database — not in `memories`, not in the
full-text index, not in the audit log, not in a goal's thread — and the audit chain still
verifies. The log never holds a memory's text (a keyed digest, the memory's id), so erasure
deletes rows and touches no audit record."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import Deputy
from bot.store.audit import keys_of
from bot.store.audit_verify import verify
from bot.store.memories import erase_person
from tests.cli.run import clean_env, deputy
from tests.support.chat import Chat

ANA = "shell:local:ana lima"
SECRET = "Omar prefers the back entrance at 12 Elm Street"
TEAM = "the team is Ben and Zed"
THEIRS = [SECRET, TEAM, "our standups are 15 minutes"]


async def _everything(session: AsyncSession) -> str:
    """Every row of every table (the FTS5 shadow tables included), as one text."""
    if session.bind is not None and session.bind.dialect.name == "sqlite":
        listing = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        listing = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    connection = await session.connection()
    names = [r[0] for r in (await connection.execute(text(listing))).all()]
    assert "memories" in names and "audit_log" in names
    dump = []
    for name in names:
        for row in (await connection.execute(text(f'SELECT * FROM "{name}"'))).all():
            dump.append(" ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row))
    return "\n".join(dump)


async def test_erasing_a_person_leaves_their_memory_text_nowhere_and_the_chain_intact(
        chat: Chat, deputy: Deputy) -> None:
    for said in (f"remember for me: {SECRET}", f"remember that {TEAM}", "remember that our standups are 15 minutes",
                 "remember that our standups are 20 minutes"):
        assert "I'll remember" in await chat.say(said, as_user="Ana Lima")
    await chat.say("remember that Globex pays net-45")  # Dev's: stays
    assert SECRET in await chat.say("memories", as_user="Ana Lima")
    assert SECRET in await chat.say("what do you remember about Elm?", as_user="Ana Lima")
    assert "nobody called Zed" in await chat.say("book a meeting with the team tomorrow at 10", as_user="Ana Lima")
    await chat.say("book a standup with Ben tomorrow at 10", as_user="Ana Lima")
    assert "Using: our standups are 20 minutes" in chat.card.note
    assert "Forgotten" in await chat.say("forget 2", as_user="Ana Lima")
    async with deputy.database.session(all_teams=True) as session:
        before = await _everything(session)
    assert all(t in before for t in THEIRS)  # the memories themselves, before erasure

    async with deputy.database.session(all_teams=True) as session:
        assert len(await erase_person(session, ANA, "cli:local:operator")) == 4
    async with deputy.database.session(all_teams=True) as session:
        after = await _everything(session)
        report = await verify(session, keys=keys_of(session))
    for said in (*THEIRS, "our standups are 20 minutes", "Elm Street", "back entrance"):
        assert said not in after, f"{said!r} is still in the database"
    if deputy.database.is_sqlite:  # nor its words in the FTS5 index's own storage
        async with deputy.database.session(all_teams=True) as session:
            connection = await session.connection()
            blobs = [r[0] for r in (await connection.execute(text("SELECT block FROM memories_fts_data"))).all()]
        assert not [b for b in blobs if isinstance(b, bytes) and b"street" in b]
    assert "Globex pays net-45" in after
    assert report.ok and report.records > 10, report.summary()
    assert "Globex" in await chat.say("memories")
    assert "nothing about Elm" in await chat.say("what do you remember about Elm?", as_user="Ana Lima")


def test_deputy_memory_forget_person_then_audit_verify(tmp_path: Path) -> None:
    """The commands an operator runs, on a home with keyed audit: shell, erasure, verify."""
    env = clean_env()
    said = deputy("shell", "--user", "Ana Lima", cwd=tmp_path, env=env,
                  stdin=f"remember for me: {SECRET}\nmemories\nwhat do you remember about Elm?\nquit\n")
    assert said.code == 0 and SECRET in said.out, said.err
    assert deputy("memory", "forget", "--person", ANA, cwd=tmp_path, env=env).out.strip() == (
        f"Erased 1 memories of {ANA}, history included.")
    verified = deputy("audit", "verify", cwd=tmp_path, env=env)
    assert verified.code == 0 and "audit log intact" in verified.out, verified.out + verified.err
    with sqlite3.connect(tmp_path / ".deputy" / "deputy.db") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = [str(row) for name in tables for row in db.execute(f'SELECT * FROM "{name}"')]
    assert rows and not [r for r in rows if "Elm Street" in r or "street" in r]
