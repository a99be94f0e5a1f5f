"""The runs ``deputy runs list`` shows, read with the plain driver: ``sqlite3`` (the embedded
database, a configured SQLite file) or ``asyncpg`` (PostgreSQL), without SQLAlchemy, SQLModel
and the table classes, whose import was most of that command's start (docs/benchmarks.md).

The same rows the ORM's ``runs.list_runs`` and ``goals.get_goal`` give (bot/runs_report.py):
the newest 50, each with its goal's text; a team's only its own runs and goals, as a team's
session sees them (bot/store/team_scope.py). ``tests/cli/test_runs_listing.py`` compares the
two on SQLite and PostgreSQL. A reader returns None when it cannot vouch for its answer (the
embedded database behind the migrations' heads, a driver error): the caller takes the ORM's
path, which migrates, or says what is wrong, as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

LIMIT = 50  # as bot.store.runs.list_runs
_COLUMNS = "r.id, r.goal_id, r.status, g.text, r.created_at, r.finished_at, r.error"
_ALL_TEAMS = (f"SELECT {_COLUMNS} FROM runs AS r LEFT JOIN goals AS g ON g.id = r.goal_id "
              f"ORDER BY r.id DESC LIMIT {LIMIT}")
_ONE_TEAM = (f"SELECT {_COLUMNS} FROM runs AS r LEFT JOIN goals AS g ON g.id = r.goal_id "
             "AND g.team_key = {team} WHERE r.team_key = {team} "
             f"ORDER BY r.id DESC LIMIT {LIMIT}")
SQLITE_BUSY_TIMEOUT = 30.0  # as bot.store.database: a busy file waits for its writer
PG_CONNECT_TIMEOUT, PG_COMMAND_TIMEOUT = 3.0, 30.0  # as bot.store.database

# id, goal_id, status, the goal's text (None without one), created_at, finished_at, error;
# the times as the driver gives them (SQLite: naive UTC text; PostgreSQL: aware)
Row = tuple[Any, ...]


def sqlite_runs(path: Path, team: str | None, check_version: bool) -> list[Row] | None:
    """The runs in the SQLite file at ``path``; None when ``check_version`` and its
    ``alembic_version`` is not at the migrations' heads, or on any SQLite error."""
    try:
        # mode=rw: never create a database that is not there
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=SQLITE_BUSY_TIMEOUT)
        try:
            if check_version and not _sqlite_at_heads(connection):
                return None
            if team is None:
                return connection.execute(_ALL_TEAMS).fetchall()
            return connection.execute(_ONE_TEAM.format(team=":team"), {"team": team}).fetchall()
        finally:
            connection.close()
    except (sqlite3.Error, OSError):
        return None


def _sqlite_at_heads(connection: sqlite3.Connection) -> bool:
    """Whether ``alembic_version`` holds the migrations' heads (bot.store.migrate would run
    Alembic otherwise)."""
    from bot.store.schema_version import head_revisions

    if connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
                          ).fetchone() is None:
        return False
    stored = frozenset(str(row[0]) for row in connection.execute("SELECT version_num FROM alembic_version"))
    return stored == head_revisions()


def postgresql_dsn(url: str) -> str | None:
    """The URL as asyncpg takes it; None when it has query options (SQLAlchemy hands those to
    the driver as arguments, not in the DSN: only its path reads them the same way)."""
    scheme, sep, rest = url.partition("://")
    if scheme not in ("postgres", "postgresql", "postgresql+asyncpg") or not sep or "?" in rest:
        return None
    return "postgresql://" + rest


async def postgresql_runs(dsn: str, team: str | None) -> list[Row] | None:
    """The runs in the PostgreSQL database at ``dsn``; None on any error of the driver or the
    connection."""
    import asyncpg

    try:
        connection = await asyncpg.connect(dsn, timeout=PG_CONNECT_TIMEOUT, command_timeout=PG_COMMAND_TIMEOUT)
        try:
            if team is None:
                return [tuple(r) for r in await connection.fetch(_ALL_TEAMS)]
            return [tuple(r) for r in await connection.fetch(_ONE_TEAM.format(team="$1"), team)]
        finally:
            await connection.close()
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        return None
