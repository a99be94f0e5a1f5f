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

Every team's chain is checked on its own (``team``), from its genesis to its head; checking
everything checks each chain, the operator/system chain (records of no team) among them.
Only the records of the chain asked for are read, so a team's report and export say nothing
of another team's, and tampering in one chain does not fail another's verification.

Sequence gaps are not tampering on their own: on PostgreSQL an audit record appended in a
transaction that rolled back still consumes a sequence number.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.audit import (
    GENESIS,
    SYSTEM,
    AuditKeySource,
    forget_heads,
    in_chain,
    lock_chain,
    record_hash,
    row_hash,
)
from bot.store.tables import AuditRow

_PAGE = 500
_MAX_PROBLEMS = 20


class _All:
    """Every chain."""


ALL: Final = _All()
Chain = str | None | _All


def chain_name(team_key: str | None) -> str:
    return team_key if team_key is not None else SYSTEM


@dataclass
class VerifyReport:
    records: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    # checking everything: each chain's name (a team, or "system") → (records, head)
    chains: dict[str, tuple[int, str]] = field(default_factory=dict)
    team: str | None = None  # the one chain checked, if one was asked for
    # each chain checked (a team key, None for the system chain) → its own outcome, without
    # the expected head: what a checkpoint keeps (bot/store/audit_checkpoint.py)
    outcomes: dict[str | None, VerifyReport] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        what = f"audit log of {self.team}" if self.team is not None else "audit log"
        if self.ok:
            if len(self.chains) <= 1:
                return f"{what} intact: {self.records} records, head {self.head}"
            lines = [f"- {name}: {n} records, head {head}" for name, (n, head) in sorted(self.chains.items())]
            return f"{what} intact: {self.records} records in {len(self.chains)} chains\n" + "\n".join(lines)
        more = "" if len(self.problems) < _MAX_PROBLEMS else " (first problems only)"
        return (f"{what} TAMPERED: first bad record {self.first_bad_seq}; "
                f"{len(self.problems)} problem(s){more}:\n" + "\n".join(f"- {p}" for p in self.problems))


async def chains(session: AsyncSession) -> list[str | None]:
    """Every chain that has records: the teams', and None for the operator/system chain."""
    found = await session.exec(select(AuditRow.team_key).distinct())
    return sorted(found, key=lambda t: (t is not None, t or ""))


async def _pages(session: AsyncSession, since: datetime | None = None,
                 team: Chain = ALL, after: int = 0) -> AsyncGenerator[AuditRow, None]:
    """The records of one chain (or of all) in sequence order, after record ``after``, a
    page at a time so a long log is never all in memory."""
    while True:
        query = select(AuditRow).where(col(AuditRow.seq) > after)
        if not isinstance(team, _All):
            query = query.where(in_chain(team))
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


def _key_for(report: VerifyReport, row: AuditRow, keys: AuditKeySource | None,
             allow_unkeyed: bool) -> tuple[bool, bytes | None]:
    """Whether the record's hash can be recomputed here, and with which key."""
    if row.key_id is not None:
        key = keys.get(row.key_id) if keys is not None else None
        if key is None:
            _problem(report, row.seq, f"is signed with master key {row.key_id!r}, which the "
                                      "keyring does not hold, so it cannot be checked")
        return key is not None, key
    if keys is not None and not allow_unkeyed:
        _problem(report, row.seq, "is not keyed (plain SHA-256): written without Deputy's keys, "
                                  "or rewritten to avoid them")
    return True, None


async def _verify_chain(session: AsyncSession, report: VerifyReport, team: str | None,
                        keys: AuditKeySource | None, allow_unkeyed: bool, heads: set[str]) -> None:
    mine = VerifyReport(team=chain_name(team))
    count, prev, _last = await check_records(session, mine, team, keys, heads, allow_unkeyed=allow_unkeyed)
    mine.records, mine.head = count, prev
    report.outcomes[team] = mine
    for problem in mine.problems:
        if len(report.problems) < _MAX_PROBLEMS:
            report.problems.append(problem)
    if report.first_bad_seq is None:
        report.first_bad_seq = mine.first_bad_seq
    report.records += count
    report.head = prev
    report.chains[chain_name(team)] = (count, prev)


async def check_records(session: AsyncSession, report: VerifyReport, team: str | None,
                        keys: AuditKeySource | None, heads: set[str], *, after: int = 0,
                        prev: str = GENESIS, limit: int | None = None,
                        allow_unkeyed: bool = False) -> tuple[int, str, int]:
    """Check the records of one chain after record ``after`` (whose hash is ``prev``), at
    most ``limit`` of them, into ``report``: (how many were checked, the last one's hash,
    its number)."""
    count, last = 0, after
    async with aclosing(_pages(session, team=team, after=after)) as rows:
        async for row in rows:
            if limit is not None and count >= limit:
                break
            count += 1
            last = row.seq or last
            if row.prev_hash != prev:
                _problem(report, row.seq, "does not follow the record before it in its chain "
                                          "(a record was removed, inserted, reordered or moved)")
            checkable, key = _key_for(report, row, keys, allow_unkeyed)
            if checkable and row_hash(row, key) != row.hash:
                _problem(report, row.seq, f"content does not match its hash (edited {row.kind!r} record)")
            # continue from the stored hash so one edit is reported once, not at every later record
            prev = row.hash
            heads.add(row.hash)
    return count, prev, last


async def verify(session: AsyncSession, expected_head: str | None = None,
                 keys: AuditKeySource | None = None, *, allow_unkeyed: bool = False,
                 team: Chain = ALL) -> VerifyReport:
    """Check one chain (``team``: a team key, or None for the operator/system chain), or
    each chain in turn (ALL). ``expected_head`` must be a hash of the chain(s) checked."""
    report = VerifyReport(team=None if isinstance(team, _All) else chain_name(team))
    heads: set[str] = set()
    for one in (await chains(session) if isinstance(team, _All) else [team]):
        await _verify_chain(session, report, one, keys, allow_unkeyed, heads)
    if expected_head is not None and expected_head != GENESIS and expected_head not in heads:
        _problem(report, None, f"the saved head {expected_head[:12]}… is no longer in the log "
                               "(records were removed from its end, or it was rewritten)")
    return report


async def reseal(session: AsyncSession, keys: AuditKeySource) -> int:
    """Check every chain (unkeyed records allowed), then sign every record with the active
    key. Raises ValueError, changing nothing, when a chain does not check out."""
    for team in await chains(session):
        # every chain's lock, so no team appends while its chain is re-signed
        await lock_chain(session, team)
    report = await verify(session, keys=keys, allow_unkeyed=True)
    if not report.ok:
        raise ValueError("the audit log does not check out, so it was not re-signed:\n"
                         + "\n".join(f"- {p}" for p in report.problems))
    key_id, key = keys.active()
    count = 0
    for team in await chains(session):
        prev = GENESIS
        async for row in _pages(session, team=team):
            row.prev_hash = prev
            row.key_id = key_id
            row.hash = record_hash(prev, row.at, row.kind, row.actor_key, row.goal_id, row.data, key,
                                   row.team_key)
            session.add(row)
            prev, count = row.hash, count + 1
    await session.flush()
    forget_heads(session)
    return count


def record_json(row: AuditRow) -> str:
    item: dict[str, Any] = {
        "seq": row.seq, "at": row.at.isoformat(), "kind": row.kind, "actor": row.actor_key,
        "goal": row.goal_id, "data": row.data, "prev_hash": row.prev_hash, "hash": row.hash,
        "key_id": row.key_id, "team": row.team_key}
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


async def export(session: AsyncSession, since: datetime | None = None,
                 team: Chain = ALL) -> AsyncIterator[str]:
    """JSON Lines (one record per line, with its hashes) of every record of the chain
    (``team``; ALL: every chain) at or after ``since``."""
    async for row in _pages(session, since, team):
        yield record_json(row) + "\n"
