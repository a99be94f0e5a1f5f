"""Checking and exporting the hash-chained audit log.

``verify`` walks the log in order and recomputes every record's hash: an edited record no
longer matches its hash, a removed or reordered one breaks the link to the record before
it, and a removed first record leaves a chain that does not start at the genesis hash.
Removing records from the *end* leaves a shorter chain that is still valid; that only shows
against a head hash saved earlier (``expected_head``), which is why the report gives the
head for operators to keep (e.g. with each export).

Records are HMACs under keys derived from the keyring (``key_id`` names the master key).
Checked with the keyring (``keys``, as ``deputy audit verify`` does), a record whose key is
missing, or that is plain SHA-256, is a problem: someone who can write to the database but
holds no key can rewrite a record and recompute every later SHA-256, not an HMAC. A log
written before keyed audit is signed once with ``reseal`` (``deputy audit reseal``), which
first checks its chain; the same re-signs the log with the active key after a rotation.

Sequence gaps are not tampering on their own: on PostgreSQL an audit record appended in a
transaction that rolled back still consumes a sequence number.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.audit import AUDIT_LOCK, GENESIS, AuditKeySource, record_hash
from bot.store.tables import AuditRow

_PAGE = 500
_MAX_PROBLEMS = 20


@dataclass
class VerifyReport:
    records: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return f"audit log intact: {self.records} records, head {self.head}"
        more = "" if len(self.problems) < _MAX_PROBLEMS else " (first problems only)"
        return (f"audit log TAMPERED: first bad record {self.first_bad_seq}; "
                f"{len(self.problems)} problem(s){more}:\n" + "\n".join(f"- {p}" for p in self.problems))


async def _pages(session: AsyncSession, since: datetime | None = None) -> AsyncIterator[AuditRow]:
    """Every record in sequence order, a page at a time so a long log is never all in memory."""
    after = 0
    while True:
        query = select(AuditRow).where(col(AuditRow.seq) > after)
        if since is not None:
            query = query.where(col(AuditRow.at) >= since)
        rows = list(await session.exec(query.order_by(col(AuditRow.seq)).limit(_PAGE)))
        for row in rows:
            yield row
        if len(rows) < _PAGE:
            return
        after = rows[-1].seq or after


def _problem(report: VerifyReport, seq: int | None, text: str) -> None:
    if report.first_bad_seq is None:
        report.first_bad_seq = seq
    if len(report.problems) < _MAX_PROBLEMS:
        report.problems.append(f"record {seq}: {text}")


async def verify(session: AsyncSession, expected_head: str | None = None,
                 keys: AuditKeySource | None = None, *, allow_unkeyed: bool = False) -> VerifyReport:
    report = VerifyReport()
    prev = GENESIS
    seen_heads: set[str] = set()
    async for row in _pages(session):
        report.records += 1
        if row.prev_hash != prev:
            _problem(report, row.seq, "does not follow the record before it "
                                      "(a record was removed, inserted or reordered)")
        key: bytes | None = None
        if row.key_id is not None:
            key = keys.get(row.key_id) if keys is not None else None
            if key is None:
                _problem(report, row.seq, f"is signed with master key {row.key_id!r}, which the "
                                          "keyring does not hold, so it cannot be checked")
        elif keys is not None and not allow_unkeyed:
            _problem(report, row.seq, "is not keyed (plain SHA-256): written without Deputy's keys, "
                                      "or rewritten to avoid them")
        if row.key_id is None or key is not None:
            computed = record_hash(row.prev_hash, row.at, row.kind, row.actor_key, row.goal_id,
                                   row.data, key)
            if computed != row.hash:
                _problem(report, row.seq, f"content does not match its hash (edited {row.kind!r} record)")
        # continue from the stored hash so one edit is reported once, not at every later record
        prev = row.hash
        if expected_head is not None:
            seen_heads.add(row.hash)
    report.head = prev
    if expected_head is not None and expected_head != GENESIS and expected_head not in seen_heads:
        _problem(report, None, f"the saved head {expected_head[:12]}… is no longer in the log "
                               "(records were removed from its end, or it was rewritten)")
    return report


async def reseal(session: AsyncSession, keys: AuditKeySource) -> int:
    """Check the whole chain (unkeyed records allowed), then sign every record with the
    active key. Raises ValueError, changing nothing, when the chain does not check out."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.exec(select(func.pg_advisory_xact_lock(AUDIT_LOCK)))
    report = await verify(session, keys=keys, allow_unkeyed=True)
    if not report.ok:
        raise ValueError("the audit log does not check out, so it was not re-signed:\n"
                         + "\n".join(f"- {p}" for p in report.problems))
    key_id, key = keys.active()
    prev, count = GENESIS, 0
    async for row in _pages(session):
        row.prev_hash = prev
        row.key_id = key_id
        row.hash = record_hash(prev, row.at, row.kind, row.actor_key, row.goal_id, row.data, key)
        session.add(row)
        prev, count = row.hash, count + 1
    await session.flush()
    return count


def record_json(row: AuditRow) -> str:
    item: dict[str, Any] = {
        "seq": row.seq, "at": row.at.isoformat(), "kind": row.kind, "actor": row.actor_key,
        "goal": row.goal_id, "data": row.data, "prev_hash": row.prev_hash, "hash": row.hash,
        "key_id": row.key_id}
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


async def export(session: AsyncSession, since: datetime | None = None) -> AsyncIterator[str]:
    """JSON Lines (one record per line, with its hashes) of every record at or after ``since``."""
    async for row in _pages(session, since):
        yield record_json(row) + "\n"
