"""SQLite's WAL checkpoints run off the commit path (bot/store/sqlite_wal.py): no commit
checkpoints the WAL itself; the database's checkpointer does, in a thread, every so many
commits, and the WAL does not grow for ever however steadily the process commits."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store import sqlite_wal
from bot.store.database import Database
from bot.store.sqlite_wal import Checkpointer

ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _wal_pages(database: Database) -> int:
    """Pages in the WAL now (a passive checkpoint reports them; it copies what it can)."""
    connection = sqlite3.connect(str(database.engine.url.database))
    try:
        return int(connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        connection.close()


def _wal_file_pages(database: Database) -> int:
    """The most pages the WAL ever held: its file keeps its size when it starts over."""
    wal = Path(f"{database.engine.url.database}-wal")
    return (wal.stat().st_size - 32) // (4096 + 24) if wal.exists() else 0


async def _commit_many(database: Database, count: int) -> None:
    async with database.session(all_teams=True) as session:
        await (await session.connection()).execute(text("CREATE TABLE IF NOT EXISTS w (n INTEGER PRIMARY KEY, s TEXT)"))
    for n in range(count):
        async with database.session(all_teams=True) as session:
            await (await session.connection()).execute(text("INSERT INTO w (s) VALUES (:s)"), {"s": "x" * 200 + str(n)})


@ON_SQLITE
async def test_commits_leave_the_checkpoints_to_the_checkpointer(database: Database) -> None:
    checkpointer = database.checkpointer
    assert checkpointer is not None
    async with database.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar() == 0
    checkpointer.every = 50
    # 49 rows and the table's creation: 50 commits, twice; each checkpoint let finish before
    # the next 50 (one still copying when its successor is due is skipped, by design: under
    # CI load the first had not finished by commit 100, and only one ran)
    for _ in range(2):
        await _commit_many(database, 49)
        await checkpointer.wait()
    assert checkpointer.checkpoints == 2
    # the last one started at the last commit, and nothing was written since: it copied the
    # whole WAL back, and the next commit starts the WAL over, without holding writers back
    await _commit_many(database, 1)
    assert _wal_pages(database) <= 5
    assert checkpointer.restarts == 0


@ON_SQLITE
async def test_the_wal_stays_bounded_however_steadily_the_process_commits(database: Database) -> None:
    checkpointer = database.checkpointer
    assert checkpointer is not None
    checkpointer.every = 50
    # the bound the design gives whatever the machine's load: passive passes keep the WAL at
    # ~300-600 pages on a quiet machine, and when the thread falls behind (a loaded machine:
    # seen at 1,080 pages with the default 4,000) a RESTART past this many starts it over
    checkpointer.restart_after = 300
    await _commit_many(database, 2000)
    await checkpointer.wait()
    # 2,000 commits of a page or so each: ~2,200 pages of WAL without checkpoints; with them
    # the WAL starts over again and again (its file keeps the most it ever held)
    assert _wal_file_pages(database) < 1000
    async with database.session(all_teams=True) as session:
        assert (await (await session.connection()).execute(text("SELECT count(*) FROM w"))).scalar() == 2000


@ON_SQLITE
async def test_a_wal_that_never_got_copied_back_whole_is_started_over_by_holding_writers_back(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpointer = database.checkpointer
    assert checkpointer is not None
    checkpointer.every = 10**9  # none of its own during the commits
    await _commit_many(database, 300)
    # as when commits never paused while the passive passes copied: pages left behind
    monkeypatch.setattr(sqlite_wal, "_copy_back", lambda connection: checkpointer.restart_after + 1)
    checkpointer._checkpoint()
    assert checkpointer.restarts == 1
    await _commit_many(database, 1)
    assert _wal_pages(database) <= 5  # copied back whole, and started over by that commit


async def test_a_failed_checkpoint_is_logged_and_the_next_one_runs(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    checkpointer = Checkpointer(str(tmp_path / "gone" / "deputy.db"), every=1)
    checkpointer.committed()
    await checkpointer.wait()
    assert "SQLite WAL checkpoint failed" in caplog.text
    (tmp_path / "gone").mkdir()
    checkpointer.committed()
    await checkpointer.wait()
    assert checkpointer.checkpoints == 1
