"""Shared fixtures. ``database`` runs every test that uses it on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from bot.policy import Policy
from bot.store.database import Database
from bot.store.schema import import_all_tables
from tests.support import postgres
from tests.support.team_checker import TeamChecker

import_all_tables()

# the settings a developer's shell may carry for a real deployment: none of them may reach a test
_FOREIGN_PREFIXES = ("DEPUTY_", "SLACK_", "DISCORD_", "ANTHROPIC_")
# knobs of the test suite itself (which database server, fuzz and reliability budgets)
_SUITE_KNOBS = ("DEPUTY_TEST_", "DEPUTY_FUZZ_", "DEPUTY_RELIABILITY_")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts with no Deputy/Slack/Discord/Anthropic settings in the environment and
    in an empty working directory (no deputy.toml, no .deputy folder from another test)."""
    for name in list(os.environ):
        if name.startswith(_FOREIGN_PREFIXES) and not name.startswith(_SUITE_KNOBS):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, with the schema created."""
    admin = postgres.server_url()
    with postgres.throwaway_database(admin) as url:
        asyncio.run(_create_schema(url))
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema, copied for each test (faster than creating it)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "deputy.db"
    asyncio.run(_create_schema(f"sqlite:///{path}"))
    return path


async def _create_schema(url: str) -> None:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    await db.dispose()


def _reset_sql() -> str:
    """DELETE every row and restart the id sequences: much faster than TRUNCATE on tiny tables."""
    statements = [f'DELETE FROM "{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables)]
    for table in SQLModel.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and
                                                 column.type.python_type is int and
                                                 len(table.primary_key.columns) == 1):
                statements.append(
                    f"PERFORM setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), 1, false)")
    # one DO block: asyncpg sends one statement per prepared query
    return "DO $$ BEGIN\n" + ";\n".join(statements) + ";\nEND $$"


async def _truncate_all(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(_reset_sql())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "deputy.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def policy() -> Policy | None:
    """The policy of an app fixture that takes one (None: the default policy file); a test
    parametrizes ``policy`` for its own."""
    return None


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An empty database with the full schema, on SQLite and on PostgreSQL."""
    db = Database(database_url)
    if not db.is_sqlite:
        await _truncate_all(db)
    yield db
    await _cancelled_tasks_ended()
    await db.dispose()


async def _cancelled_tasks_ended(within: float = 15.0) -> None:
    """Tasks already cancelled and still cleaning up (a session rolling back) end before the
    pool is disposed: disposed under them, a connection's close can race the event loop's own
    clean-up at its close and wait for ever (a run hung so in a test's teardown)."""
    ending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and t.cancelling()]
    if ending:
        _, stuck = await asyncio.wait(ending, timeout=within)
        assert not stuck, f"tasks cancelled {within:.0f} s ago have not ended: {stuck}"


@pytest.fixture(autouse=True)
def _product_declares_teams() -> Iterator[TeamChecker]:
    """Every test: a query from a session Deputy's code opened without its team, or a team
    session's query without the team, fails the test (tests/support/team_checker.py)."""
    checker = TeamChecker(strict=False)
    checker.install()
    try:
        yield checker
    finally:
        checker.remove()
    assert checker.violations == [], "Deputy's queries without their team:\n" + "\n".join(checker.violations)


@pytest.fixture
def team_checked() -> Iterator[TeamChecker]:
    """Fails the test if any query on a team's table forgot the team, the test's own
    included (tests/support/team_checker.py); ``checker.checked`` says how many it looked at."""
    checker = TeamChecker()
    checker.install()
    try:
        yield checker
    finally:
        checker.remove()
    assert checker.violations == [], "queries on team tables without their team:\n" + "\n".join(checker.violations)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The one full collection and freeze a worker loop makes as it starts (``settle_heap``)
    is made here, before any test, as a process does before it takes work. Left to the first
    test that starts ``Worker.run_forever`` in this process, it walked everything the tests
    before had left and held that test's event loop for seconds on a loaded machine: a
    Slack ack measured across it took 4.1 s (CI of 36463b4)."""
    from bot.execution.worker import settle_heap

    settle_heap()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its tallies to the controller, which prints the sum."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from tests.support.tallies import exported

        workeroutput["tallies"] = exported()


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent with -p no:xdist
def pytest_testnodedown(node: object, error: object) -> None:
    from tests.support.tallies import merge

    merge(getattr(node, "workeroutput", {}).get("tallies", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.support.tallies import summary_lines

    lines = summary_lines()
    if lines:
        terminalreporter.section("cases tried")
        for line in lines:
            terminalreporter.write_line(line)
