"""Team memory: facts people taught Deputy, scoped to a person, a channel or the team.

A row is never edited into something else. A newer fact on the same subject in the same
scope closes the older one (``valid_to``) and keeps it as history; ``forget`` stamps
``forgotten_at``/``forgotten_by``. Only rows that are open, not forgotten and not expired
are *live*: retrieval and listings see only those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BindParameter, Column, Index, and_, or_, text
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store import audit, memory_proposals
from bot.store.tables import utcnow
from bot.store.types import UTCDateTime


class Scope:
    PERSON = "person"
    CHANNEL = "channel"
    TEAM = "team"


SCOPES = (Scope.PERSON, Scope.CHANNEL, Scope.TEAM)


class MemoryRow(SQLModel, table=True):
    __tablename__ = "memories"
    __table_args__ = (Index("ix_memories_scope", "team_key", "scope", "scope_key", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    team_key: str = Field(max_length=200)  # platform:team
    scope: str = Field(max_length=10)  # person | channel | team
    scope_key: str = Field(default="", max_length=200)  # actor key, channel id, or "" for the team
    subject: str = Field(max_length=200)  # normalised: a newer fact on it supersedes the older
    text: str
    kind: str = Field(default="", max_length=40)  # structured kind ("team_members"), "" for plain text
    value: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    taught_by: str = Field(max_length=200)  # actor key
    taught_by_name: str = Field(default="", max_length=200)
    source_channel: str = Field(default="", max_length=120)
    source_message: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    valid_from: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    valid_to: datetime | None = Field(default=None, sa_type=UTCDateTime)  # set when superseded
    superseded_by: int | None = Field(default=None)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    forgotten_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    forgotten_by: str | None = Field(default=None, max_length=200)


@dataclass(frozen=True)
class Visibility:
    """Who is asking, and where: the scopes whose memories they may see or use."""

    team_key: str
    channel_id: str
    actor_key: str


# datetime, or a bound parameter standing for one (memory_search's statement, built once)
def _live(now: datetime | BindParameter[datetime]) -> list[Any]:
    return [col(MemoryRow.valid_to).is_(None), col(MemoryRow.forgotten_at).is_(None),
            or_(col(MemoryRow.expires_at).is_(None), col(MemoryRow.expires_at) > now)]


def _visible(seen: Visibility) -> list[Any]:
    return _visible_to(seen.team_key, seen.channel_id, seen.actor_key)


def _visible_to(team_key: object, channel_id: object, actor_key: object) -> list[Any]:
    """``_visible``'s conditions, each value a string or a bound parameter standing for one."""
    scope, key = col(MemoryRow.scope), col(MemoryRow.scope_key)
    return [col(MemoryRow.team_key) == team_key, or_(
        scope == Scope.TEAM,
        and_(scope == Scope.CHANNEL, key == channel_id),
        and_(scope == Scope.PERSON, key == actor_key),
    )]


async def add(session: AsyncSession, row: MemoryRow) -> tuple[MemoryRow, list[MemoryRow]]:
    """Store a new fact; close the live facts on the same subject in the same scope.

    Returns the new row and the rows it superseded (kept, with ``valid_to`` set)."""
    now = utcnow()
    row.created_at = row.valid_from = now
    session.add(row)
    await session.flush()
    # the facts it closes are read after its INSERT: on SQLite the read is then inside the
    # write transaction, so a fact another process added on the same subject a moment ago
    # is seen and closed (read before, both facts stayed live)
    older = (await session.exec(select(MemoryRow).where(
        MemoryRow.team_key == row.team_key, MemoryRow.scope == row.scope,
        MemoryRow.scope_key == row.scope_key, MemoryRow.subject == row.subject,
        col(MemoryRow.id) != row.id, *_live(now)).with_for_update())).all()
    for old in older:
        old.valid_to = now
        old.superseded_by = row.id
        session.add(old)
    await session.flush()
    return row, list(older)


async def get(session: AsyncSession, memory_id: int, *, for_update: bool = False) -> MemoryRow | None:
    query = select(MemoryRow).where(MemoryRow.id == memory_id)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def forget(session: AsyncSession, row: MemoryRow, by: str) -> None:
    row.forgotten_at = utcnow()
    row.forgotten_by = by
    session.add(row)
    await session.flush()


async def live(session: AsyncSession, seen: Visibility, limit: int = 500) -> list[MemoryRow]:
    """The live memories this person may use here, newest first."""
    query = (select(MemoryRow).where(*_visible(seen), *_live(utcnow()))
             .order_by(col(MemoryRow.valid_from).desc(), col(MemoryRow.id).desc()).limit(limit))
    return list((await session.exec(query)).all())


def is_visible(row: MemoryRow, seen: Visibility) -> bool:
    if row.team_key != seen.team_key:
        return False
    return (row.scope == Scope.TEAM
            or (row.scope == Scope.CHANNEL and row.scope_key == seen.channel_id)
            or (row.scope == Scope.PERSON and row.scope_key == seen.actor_key))


def _of_person(actor_key: str) -> Any:
    return or_(col(MemoryRow.taught_by) == actor_key,
               and_(col(MemoryRow.scope) == Scope.PERSON, col(MemoryRow.scope_key) == actor_key))


async def listing(session: AsyncSession, *, person: str = "", history: bool = False,
                  limit: int = 10_000) -> list[MemoryRow]:
    """Every team's memories for an operator, oldest first: the live ones, or with ``history``
    also the superseded, forgotten and expired; with ``person``, only those that person taught
    or that are theirs (person scope)."""
    where = [] if history else _live(utcnow())
    if person:
        where.append(_of_person(person))
    query = select(MemoryRow).where(*where).order_by(col(MemoryRow.id)).limit(limit)
    return list((await session.exec(query)).all())


async def erase(session: AsyncSession, rows: list[MemoryRow]) -> None:
    """Delete ``rows`` for good (a privacy request), history included."""
    for row in rows:
        await session.delete(row)
    await session.flush()
    if session.bind is not None and session.bind.dialect.name == "sqlite":
        # the triggers removed the rows from the FTS5 index; merging its segments drops the
        # erased words from the index's own storage too
        connection = await session.connection()
        await connection.execute(text("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')"))


async def erase_person(session: AsyncSession, person: str, by: str) -> list[int]:
    """Delete every memory ``person`` taught or that is theirs, history included, and say so
    in the audit log (the ids only). The log never held their text (memory records keep a
    keyed digest, chat notices about memories their ids), so its chain is left as it is."""
    rows = await listing(session, person=person, history=True)
    ids = [r.id for r in rows if r.id is not None]
    offers = await memory_proposals.erase_person(session, person)  # [Remember] offers quote them too
    if rows:
        await erase(session, rows)
    if rows or offers:
        await audit.append(session, "memory_erased", actor_key=by, data={"person": person, "memories": ids,
                                                                       "offers": offers})
    return ids
