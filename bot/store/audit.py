"""The append-only, hash-chained audit log. Every record's hash covers its content and the
previous record's hash, so editing, removing or reordering a record breaks the chain.

Each team (``platform:team``) has its own chain, from its own genesis to its own head, so a
team's log can be verified and exported without reading, or revealing, another team's.
Records of no team (the operator's CLI, system sweeps) form one more chain, which also holds
every record written before chains were per team (they were one chain then, and still verify
as it). A record's hash covers its team, so a record moved into another chain does not verify.

The hash is an HMAC-SHA256 under a key derived from the keyring's active master key (the
record names it in ``key_id``): someone who can write to the database but does not hold the
keys cannot rewrite a record and recompute every later hash. A process without keys (tests,
tools) writes plain SHA-256 records, which ``deputy audit verify`` does not accept when it
checks with the keyring.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any, Final, Protocol

from sqlalchemy import false, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.redact import redact
from bot.store.database import AUDIT_KEYS
from bot.store.tables import AuditRow, GoalRow, utcnow

GENESIS = "0" * 64
# appends to one chain are serialised by an advisory lock on (AUDIT_LOCK, hash of the team)
# on PostgreSQL, so teams do not wait for each other; SQLite serialises writers itself
AUDIT_LOCK = 0x64657075
# the chain of the records of no team (the operator's, the system's)
SYSTEM = "system"


class _Derive:
    """``team_key`` not given: the team is read from the actor, else from the goal."""


DERIVE: Final = _Derive()


class AuditKeySource(Protocol):
    def active(self) -> tuple[str, bytes]: ...

    def get(self, key_id: str) -> bytes | None: ...


def record_hash(prev_hash: str, at: datetime, kind: str, actor_key: str | None,
                goal_id: int | None, data: dict[str, Any], key: bytes | None = None,
                team_key: str | None = None) -> str:
    fields: dict[str, Any] = {"prev": prev_hash, "at": at.isoformat(), "kind": kind, "actor": actor_key,
                              "goal": goal_id, "data": data}
    if team_key is not None:
        # only a team's record names its chain: records of no team hash as they always did
        fields["team"] = team_key
    body = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":")).encode()
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def row_hash(row: AuditRow, key: bytes | None) -> str:
    return record_hash(row.prev_hash, row.at, row.kind, row.actor_key, row.goal_id, row.data, key,
                       row.team_key)


def keys_of(session: AsyncSession) -> AuditKeySource | None:
    found: AuditKeySource | None = session.info.get(AUDIT_KEYS)
    return found


def team_of_actor(actor_key: str) -> str | None:
    """``platform:team`` of ``platform:team:user``; None for the operator's CLI (``cli:…``)."""
    platform, _, rest = actor_key.partition(":")
    team = rest.partition(":")[0]
    return None if platform == "cli" or not team else f"{platform}:{team}"


async def team_of(session: AsyncSession, actor_key: str | None, goal_id: int | None) -> str | None:
    if actor_key is not None:
        return team_of_actor(actor_key)
    if goal_id is not None:
        goal = await session.get(GoalRow, goal_id)
        return team_of_actor(goal.requester_key) if goal is not None else None
    return None


async def lock_chain(session: AsyncSession, team_key: str | None) -> None:
    """Serialise writers of one chain until the transaction ends. PostgreSQL: an advisory
    lock keyed by the chain. SQLite has one writer at a time: a write that changes nothing
    takes the database's write lock now, before the head is read (a read alone takes none,
    and two appends would both read the same head and fork the chain)."""
    if session.bind is None:
        return
    if session.bind.dialect.name == "postgresql":
        await session.exec(select(func.pg_advisory_xact_lock(AUDIT_LOCK, func.hashtext(team_key or SYSTEM))))
    elif session.bind.dialect.name == "sqlite":
        await session.exec(update(AuditRow).where(false()).values(seq=AuditRow.seq))


def in_chain(team_key: str | None) -> Any:
    column = col(AuditRow.team_key)
    return column.is_(None) if team_key is None else column == team_key


async def head_of(session: AsyncSession, team_key: str | None) -> str:
    last = (await session.exec(select(AuditRow.hash).where(in_chain(team_key))
                               .order_by(col(AuditRow.seq).desc()).limit(1))).first()
    return last or GENESIS


def digest(session: AsyncSession, text: str) -> str:
    """A fingerprint of personal text (a memory) for a record, in place of the text itself, so
    erasing the text elsewhere leaves the chain whole: an HMAC under the active audit key
    (nobody without Deputy's keys can confirm a guess of an erased text), plain SHA-256 when
    the process has no keys."""
    keys = keys_of(session)
    body = b"deputy-audit-text:" + text.encode()
    if keys is None:
        return "sha256:" + hashlib.sha256(body).hexdigest()
    key_id, key = keys.active()
    return f"hmac:{key_id}:" + hmac.new(key, body, hashlib.sha256).hexdigest()


async def append(session: AsyncSession, kind: str, *, actor_key: str | None = None,
                 goal_id: int | None = None, data: dict[str, Any] | None = None,
                 team_key: str | None | _Derive = DERIVE) -> AuditRow:
    """Append to the team's chain inside the caller's transaction, so the record commits
    with what it describes. ``team_key=None``: the operator/system chain."""
    team = await team_of(session, actor_key, goal_id) if isinstance(team_key, _Derive) else team_key
    await lock_chain(session, team)
    prev = await head_of(session, team)
    # secrets never enter the log, whatever a call's arguments or results held
    payload = redact(json.loads(json.dumps(data or {}, default=str)))
    now = utcnow()
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    keys = keys_of(session)
    key_id, key = keys.active() if keys is not None else (None, None)
    row = AuditRow(at=at, kind=kind, actor_key=actor_key, goal_id=goal_id, data=payload,
                   prev_hash=prev, key_id=key_id, team_key=team,
                   hash=record_hash(prev, at, kind, actor_key, goal_id, payload, key, team))
    session.add(row)
    await session.flush()
    return row


async def count_signed_with(session: AsyncSession, key_id: str) -> int:
    """How many records are chained with a key derived from master key ``key_id``."""
    found = (await session.exec(select(func.count()).select_from(AuditRow)
                                .where(col(AuditRow.key_id) == key_id))).one()
    return int(found)
