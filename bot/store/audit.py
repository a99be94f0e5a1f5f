"""The append-only, hash-chained audit log. Every record's hash covers its content and the
previous record's hash, so editing, removing or reordering a record breaks the chain.

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
from typing import Any, Protocol

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.redact import redact
from bot.store.database import AUDIT_KEYS
from bot.store.tables import AuditRow, utcnow

GENESIS = "0" * 64
# one advisory lock id serialises appends on PostgreSQL; SQLite serialises writers itself
AUDIT_LOCK = 0x64657075


class AuditKeySource(Protocol):
    def active(self) -> tuple[str, bytes]: ...

    def get(self, key_id: str) -> bytes | None: ...


def record_hash(prev_hash: str, at: datetime, kind: str, actor_key: str | None,
                goal_id: int | None, data: dict[str, Any], key: bytes | None = None) -> str:
    body = json.dumps(
        {"prev": prev_hash, "at": at.isoformat(), "kind": kind, "actor": actor_key,
         "goal": goal_id, "data": data},
        sort_keys=True, default=str, separators=(",", ":"),
    ).encode()
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def keys_of(session: AsyncSession) -> AuditKeySource | None:
    found: AuditKeySource | None = session.info.get(AUDIT_KEYS)
    return found


async def append(session: AsyncSession, kind: str, *, actor_key: str | None = None,
                 goal_id: int | None = None, data: dict[str, Any] | None = None) -> AuditRow:
    """Append inside the caller's transaction, so the record commits with what it describes."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.exec(select(func.pg_advisory_xact_lock(AUDIT_LOCK)))
    last = (await session.exec(select(AuditRow).order_by(col(AuditRow.seq).desc()).limit(1))).first()
    prev = last.hash if last else GENESIS
    # secrets never enter the log, whatever a call's arguments or results held
    payload = redact(json.loads(json.dumps(data or {}, default=str)))
    now = utcnow()
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    keys = keys_of(session)
    key_id, key = keys.active() if keys is not None else (None, None)
    row = AuditRow(at=at, kind=kind, actor_key=actor_key, goal_id=goal_id, data=payload,
                   prev_hash=prev, key_id=key_id,
                   hash=record_hash(prev, at, kind, actor_key, goal_id, payload, key))
    session.add(row)
    await session.flush()
    return row


async def count_signed_with(session: AsyncSession, key_id: str) -> int:
    """How many records are chained with a key derived from master key ``key_id``."""
    found = (await session.exec(select(func.count()).select_from(AuditRow)
                                .where(col(AuditRow.key_id) == key_id))).one()
    return int(found)
