"""Everything of one team, table by table: count it, export it, delete it.

Generic over the schema (SQLAlchemy metadata, every table ``import_all_tables`` loads), so a
table that gains a team column is covered without a change here. A table belongs to teams
when it has a ``team_key`` column (``platform:team_id``), or, for the older tables, both a
``platform`` and a ``team_id`` column (goals, actors). The ``teams`` row itself comes first
in an export and goes last in a deletion.

Deletion removes credentials first (any table holding sealed bytes), then the other tables
dependents first, in one transaction: a row of another table that still points at one of the
team's rows makes the whole deletion fail, and nothing is deleted.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlmodel
from sqlalchemy import ColumnElement, LargeBinary, Table, and_, delete, func, or_, select
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserError
from bot.store.database import Database
from bot.store.teams import TeamRow, split_key

SEALED = "[sealed: not exported]"
_MAX_DEPTH = 6  # goal → plan → version → run → step result is 4


def team_tables() -> list[Table]:
    """The tables holding team rows, parents before children (metadata's dependency order)."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name == TeamRow.__tablename__:
            continue
        names = set(table.columns.keys())
        if "team_key" in names or {"platform", "team_id"} <= names:
            found.append(table)
    return found


def holds_secrets(table: Table) -> bool:
    return any(isinstance(column.type, LargeBinary) for column in table.columns)


def _of_team(table: Table, key: str, depth: int = 0) -> ColumnElement[bool]:
    """The table's rows of the team: its own team column says so, or a foreign key points at
    a row of the team (a run of the team's plan version is the team's, whatever team it was
    stamped with), so an export is whole and a deletion never trips over a child row."""
    if "team_key" in table.columns:
        own: ColumnElement[bool] = table.c.team_key == key
    else:
        platform, external_id = split_key(key)
        own = and_(table.c.platform == platform, table.c.team_id == external_id)
    if depth >= _MAX_DEPTH:
        return own
    tables = {t.name for t in team_tables()}
    via = [fk.parent.in_(select(fk.column).where(_of_team(fk.column.table, key, depth + 1)))
           for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name)
           if fk.column.table.name in tables and fk.column.table is not table]
    return or_(own, *via) if via else own


def deletion_order() -> list[Table]:
    """Credentials first, then children before parents."""
    tables = list(reversed(team_tables()))
    return [t for t in tables if holds_secrets(t)] + [t for t in tables if not holds_secrets(t)]


async def counts(session: AsyncSession, key: str) -> dict[str, int]:
    """Rows per table (the ``teams`` row included), in deletion order; tables with none too."""
    found = {}
    for table in deletion_order():
        query = sqlmodel.select(func.count()).select_from(table).where(_of_team(table, key))
        found[table.name] = int((await session.exec(query)).one())
    teams = sqlmodel.select(func.count()).select_from(TeamRow).where(TeamRow.key == key)
    found[TeamRow.__tablename__] = int((await session.exec(teams)).one())
    return found


def no_such_team(key: str) -> UserError:
    return UserError(f"There is no team {key} (`deputy teams list` shows them).")


async def require(database: Database, key: str) -> str:
    """``key``, when Deputy keeps a row of that team (its ``teams`` row or any other, among
    the tables imported); else the UserError :func:`no_such_team`, or ``split_key``'s for
    what is not a team key (the operator's ``--team``)."""
    try:
        split_key(key)
    except ValueError as err:
        raise UserError(str(err)) from None
    async with database.session(team=key) as session:
        if not any((await counts(session, key)).values()):
            raise no_such_team(key)
    return key


async def delete_all(session: AsyncSession, key: str) -> dict[str, int]:
    """Delete every row of the team; returns the rows deleted per table. The caller's
    transaction makes it all or nothing."""
    done = {}
    for table in deletion_order():
        result = await session.exec(delete(table).where(_of_team(table, key)))
        done[table.name] = int(result.rowcount or 0)
    team = await session.exec(delete(TeamRow).where(TeamRow.key == key))  # type: ignore[arg-type]
    done[TeamRow.__tablename__] = int(team.rowcount or 0)
    return done


async def export_lines(session: AsyncSession, key: str) -> AsyncIterator[str]:
    """One JSON object per row: ``{"table": name, "row": {column: value}}``, the team's own
    row first. Sealed bytes (credentials) are not exported: they are useless without the
    vault's key and must not leave it."""
    teams = TeamRow.__table__  # type: ignore[attr-defined]
    for table, where in [(teams, teams.c.key == key)] + [(t, _of_team(t, key)) for t in team_tables()]:
        query = select(table).where(where).order_by(*table.primary_key.columns)
        async for row in await session.stream(query):
            yield json.dumps({"table": table.name, "row": {
                name: _plain(table, name, value) for name, value in row._mapping.items()}},
                ensure_ascii=False, sort_keys=True)


def _plain(table: Table, name: str, value: Any) -> Any:
    if isinstance(table.columns[name].type, LargeBinary) and value is not None:
        return SEALED
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value
