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

from sqlalchemy import String, Table, bindparam, false, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.redact import redact
from bot.store.audit_json import as_json
from bot.store.database import AUDIT_KEYS, execute_plain
from bot.store.plain_tx import PlainTx
from bot.store.tables import AuditRow, GoalRow, utcnow

GENESIS = "0" * 64
# appends to one chain are serialised by an advisory lock on (AUDIT_LOCK, hash of the team)
# on PostgreSQL, so teams do not wait for each other; SQLite serialises writers itself
AUDIT_LOCK = 0x64657075
# the chain of the records of no team (the operator's, the system's)
SYSTEM = "system"

# an append's statements: plain (no unit of work, no identity map), built once
_AUDIT: Table = AuditRow.__table__  # type: ignore[attr-defined]
# the chain's lock as an expression, for a statement that takes it along with its own work
# (runs.renew_and_record_read); ``b_chain`` is the team, or SYSTEM
LOCK_CHAIN_POSTGRESQL = func.pg_advisory_xact_lock(AUDIT_LOCK, func.hashtext(bindparam("b_chain", type_=String)))
_LOCK_POSTGRESQL = select(LOCK_CHAIN_POSTGRESQL)
# a write that changes nothing: it takes SQLite's write lock
_LOCK_SQLITE = update(_AUDIT).where(false()).values(seq=_AUDIT.c.seq)
_HEAD_OF_TEAM = (select(_AUDIT.c.hash).where(_AUDIT.c.team_key == bindparam("b_team"))
                 .order_by(_AUDIT.c.seq.desc()).limit(1))
_HEAD_OF_SYSTEM = select(_AUDIT.c.hash).where(_AUDIT.c.team_key.is_(None)).order_by(_AUDIT.c.seq.desc()).limit(1)
_APPEND = insert(_AUDIT)
_RECORD = ("at", "kind", "actor_key", "goal_id", "data", "prev_hash", "key_id", "team_key", "hash")


def _append_if_head_is(head: Any) -> Any:
    """INSERT the record only if the chain's head (read by this statement, the chain locked)
    is the ``prev_hash`` it was chained to."""
    values = select(*(bindparam(f"v_{name}", type_=_AUDIT.c[name].type) for name in _RECORD))
    head_now = func.coalesce(head.scalar_subquery(), GENESIS)
    return insert(_AUDIT).from_select(list(_RECORD), values.where(head_now == bindparam("b_expected", type_=String)))


_APPEND_IF_HEAD_IS_PREV = _append_if_head_is(_HEAD_OF_SYSTEM)
_APPEND_IF_HEAD_IS_PREV_OF_TEAM = _append_if_head_is(_HEAD_OF_TEAM)


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


def keys_of(session: AsyncSession | PlainTx) -> AuditKeySource | None:
    found: AuditKeySource | None = session.info.get(AUDIT_KEYS)
    return found


def team_of_actor(actor_key: str) -> str | None:
    """``platform:team`` of ``platform:team:user``; None for the operator's CLI (``cli:…``)."""
    platform, _, rest = actor_key.partition(":")
    team = rest.partition(":")[0]
    return None if platform == "cli" or not team else f"{platform}:{team}"


async def team_of(session: AsyncSession | PlainTx, actor_key: str | None, goal_id: int | None) -> str | None:
    if actor_key is not None:
        return team_of_actor(actor_key)
    if goal_id is not None:
        assert isinstance(session, AsyncSession), "a plain transaction names the chain (team_key)"
        goal = await session.get(GoalRow, goal_id)
        return team_of_actor(goal.requester_key) if goal is not None else None
    return None


async def lock_chain(session: AsyncSession | PlainTx, team_key: str | None) -> None:
    """Serialise writers of one chain until the transaction ends. PostgreSQL: an advisory
    lock keyed by the chain. SQLite has one writer at a time: unless this transaction has
    written already (and holds the database's write lock since), a write that changes
    nothing takes the write lock now, before the head is read (a read alone takes none, and
    two appends would both read the same head: SQLite would refuse the second one's insert
    rather than fork the chain, but the append would fail instead of waiting its turn)."""
    if session.bind is None:
        return
    if session.bind.dialect.name == "postgresql":
        await execute_plain(session, _LOCK_POSTGRESQL, {"b_chain": team_key or SYSTEM})
    elif session.bind.dialect.name == "sqlite" and not await _sqlite_wrote(session):
        await execute_plain(session, _LOCK_SQLITE)


async def _sqlite_wrote(session: AsyncSession | PlainTx) -> bool:
    """Whether this SQLite transaction has begun: the driver (``sqlite3``, which opens
    Deputy's transactions) begins one just before the first INSERT, UPDATE or DELETE, and
    SQLite takes the write lock at that statement. (A SAVEPOINT begins one too, without the
    lock: a transaction that only read inside one before appending would see its append fail
    with "database is locked" if another writer came first — never a forked chain.)"""
    connection = await (await session.connection()).get_raw_connection()
    return bool(getattr(connection.driver_connection, "in_transaction", False))


def in_chain(team_key: str | None) -> Any:
    column = col(AuditRow.team_key)
    return column.is_(None) if team_key is None else column == team_key


async def head_of(session: AsyncSession | PlainTx, team_key: str | None) -> str:
    if team_key is None:
        last = (await execute_plain(session, _HEAD_OF_SYSTEM)).scalar()
    else:
        last = (await execute_plain(session, _HEAD_OF_TEAM, {"b_team": team_key})).scalar()
    return str(last) if last is not None else GENESIS


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


async def append(session: AsyncSession | PlainTx, kind: str, *, actor_key: str | None = None,
                 goal_id: int | None = None, data: dict[str, Any] | None = None,
                 team_key: str | None | _Derive = DERIVE) -> None:
    """Append to the team's chain inside the caller's transaction, so the record commits
    with what it describes. ``team_key=None``: the operator/system chain."""
    team = await team_of(session, actor_key, goal_id) if isinstance(team_key, _Derive) else team_key
    # secrets never enter the log, whatever a call's arguments or results held
    payload = redact(as_json(data or {}))
    now = utcnow()
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    keys = keys_of(session)
    key_id, key = keys.active() if keys is not None else (None, None)
    row = {"at": at, "kind": kind, "actor_key": actor_key, "goal_id": goal_id, "data": payload,
           "key_id": key_id, "team_key": team}
    prev = _head_appended(session, team)
    if prev is None:
        if not _locked_here(session, team):
            await lock_chain(session, team)
        guess = _LAST_WRITTEN.get((_engine_of(session), team))
        if guess is not None:
            # this process's last record of the chain is its head, unless another process (or
            # a rolled-back transaction) came between: the INSERT checks it, and adds nothing if not
            chained = record_hash(guess, at, kind, actor_key, goal_id, payload, key, team)
            found = await execute_plain(session, _APPEND_IF_HEAD_IS_PREV if team is None else _APPEND_IF_HEAD_IS_PREV_OF_TEAM,
                                        {**_bound(row), "v_prev_hash": guess, "v_hash": chained, "b_team": team,
                                         "b_expected": guess})
            if found.rowcount == 1:
                _appended(session, team, chained)
                return
        prev = await head_of(session, team)
    chained = record_hash(prev, at, kind, actor_key, goal_id, payload, key, team)
    await execute_plain(session, _APPEND, {**row, "prev_hash": prev, "hash": chained})
    _appended(session, team, chained)


async def count_signed_with(session: AsyncSession, key_id: str) -> int:
    """How many records are chained with a key derived from master key ``key_id``."""
    found = (await session.exec(select(func.count()).select_from(AuditRow)
                                .where(col(AuditRow.key_id) == key_id))).one()
    return int(found)


# session.info: (the transaction, {chain: the head this transaction appended}). The chain is
# locked from its first append to the commit, so the head a transaction wrote stays the head
# until then: a second record of the same transaction (a fan-out's group of calls) is chained
# to it without locking and reading again. Kept for the innermost transaction only: a
# savepoint begun, released or rolled back since makes the next append read the head again.
_HEADS = "audit_heads"


def _transaction(session: AsyncSession | PlainTx) -> object:
    if isinstance(session, PlainTx):
        return session  # one transaction, no savepoints
    sync = session.sync_session
    return sync.get_nested_transaction() or sync.get_transaction()


def _head_appended(session: AsyncSession | PlainTx, team: str | None) -> str | None:
    held = session.info.get(_HEADS)
    if held is None or held[0] is not _transaction(session):
        return None
    found: str | None = held[1].get(team)
    return found


def _appended(session: AsyncSession | PlainTx, team: str | None, head: str) -> None:
    if len(_LAST_WRITTEN) >= _MOST_CHAINS:
        _LAST_WRITTEN.clear()
    _LAST_WRITTEN[(_engine_of(session), team)] = head
    transaction = _transaction(session)
    held = session.info.get(_HEADS)
    if held is None or held[0] is not transaction:
        heads: dict[str | None, str] = {}
        held = session.info[_HEADS] = (transaction, heads)
    held[1][team] = head


def chain_locked(session: AsyncSession | PlainTx, team: str | None) -> None:
    """A statement of this transaction took the chain's lock (LOCK_CHAIN_POSTGRESQL): its
    appends do not take it again. Kept for the innermost transaction, as the heads are (a
    savepoint rolled back releases what it locked)."""
    transaction = _transaction(session)
    held = session.info.get(_LOCKED)
    if held is None or held[0] is not transaction:
        chains: set[str | None] = set()
        held = session.info[_LOCKED] = (transaction, chains)
    held[1].add(team)


def _locked_here(session: AsyncSession | PlainTx, team: str | None) -> bool:
    held = session.info.get(_LOCKED)
    return held is not None and held[0] is _transaction(session) and team in held[1]


_LOCKED = "audit_locked"


def forget_heads(session: AsyncSession) -> None:
    """Records were rewritten in this transaction (``reseal``): the next append reads the head."""
    session.info.pop(_HEADS, None)


# (engine, chain) → the last record this process appended to it: the likely head next time,
# checked by the INSERT itself, so a record written since by another process costs one
# statement more, never a fork. Bounded, as chains are many.
_LAST_WRITTEN: dict[tuple[int, str | None], str] = {}
_MOST_CHAINS = 4096


def _engine_of(session: AsyncSession | PlainTx) -> int:
    # the same engine whichever kind of transaction: a session's bind is its sync engine
    return id(session.bind.sync_engine if isinstance(session, PlainTx) else session.sync_session.bind)


def _bound(row: dict[str, Any]) -> dict[str, Any]:
    return {f"v_{name}": value for name, value in row.items()}
