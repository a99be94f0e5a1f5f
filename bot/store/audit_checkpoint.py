"""A verified checkpoint of each audit chain, so the console's Audit page need not walk
100,000 records on every view.

A full verification (``deputy audit verify``, the console's *Verify the chain*) walks a
chain from its genesis; when it checks out, the chain's head becomes the checkpoint (its
record number and hash) and the time is kept as the last full verification. A page view
then checks only the records after the checkpoint (at most ``PAGE_LIMIT`` of them), plus
the checkpoint record itself (its content must still match its hash, and its hash the
checkpoint's), and moves the checkpoint on.

What this cannot see: a record before the checkpoint edited together with nothing else
that a page view reads. That is why the page says its status is as of the checkpoint and
when the chain was last fully verified, and why a full verification that fails is kept
(``full_ok``) and shown until one succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.audit import AuditKeySource, in_chain, row_hash
from bot.store.audit_verify import VerifyReport, chain_name, check_records, verify
from bot.store.tables import AuditRow, utcnow
from bot.store.types import UTCDateTime

# the most records a page view checks past the checkpoint: a page answers in bounded time,
# and what is left says so (verify the chain to check it all)
PAGE_LIMIT = 200


class AuditCheckpointRow(SQLModel, table=True):
    __tablename__ = "audit_checkpoints"

    chain: str = Field(primary_key=True, max_length=200)  # a team key, or "system"
    seq: int = 0  # the last record verified (0: none yet)
    hash: str = Field(max_length=64)  # its hash
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # last moved on
    full_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last full verification
    full_ok: bool = True  # whether it checked out
    full_first_bad: int | None = None  # the first bad record it found


@dataclass(frozen=True)
class ChainStatus:
    """What the Audit page says of a chain without walking it all."""

    checkpoint: AuditCheckpointRow | None  # None: never fully verified
    report: VerifyReport  # the records checked now: those after the checkpoint
    checked: int  # how many records after the checkpoint were checked now
    unchecked: int  # how many newer ones were left for a full verification (PAGE_LIMIT)

    @property
    def ok(self) -> bool:
        return self.report.ok and (self.checkpoint is None or self.checkpoint.full_ok)


async def full(session: AsyncSession, keys: AuditKeySource | None, team: str | None) -> VerifyReport:
    """Verify the chain from its genesis and keep the outcome: the head as the checkpoint
    when it checks out, the failure (and the old checkpoint) when it does not."""
    report = await verify(session, None, keys, team=team)
    await record_full(session, team, report)
    return report


async def record_each(session: AsyncSession, report: VerifyReport) -> None:
    """Keep the outcome of each chain a full verification walked (``deputy audit verify``,
    of one chain or of all): the console's Audit page then counts from there."""
    for team, outcome in report.outcomes.items():
        await record_full(session, team, outcome)


async def record_full(session: AsyncSession, team: str | None, report: VerifyReport) -> None:
    """Keep the outcome of a full verification of ``team``'s chain (``report``)."""
    row = await session.get(AuditCheckpointRow, chain_name(team))
    now = utcnow()
    if row is None:
        row = AuditCheckpointRow(chain=chain_name(team), seq=0, hash=report.head)
    row.full_at, row.full_ok, row.full_first_bad = now, report.ok, report.first_bad_seq
    if report.ok:
        last = (await session.exec(select(AuditRow.seq).where(in_chain(team), col(AuditRow.hash) == report.head)
                                   .order_by(col(AuditRow.seq).desc()).limit(1))).first()
        row.seq, row.hash, row.checked_at = int(last or 0), report.head, now
    session.add(row)
    await session.flush()


async def status(session: AsyncSession, keys: AuditKeySource | None, team: str | None) -> ChainStatus:
    """Check the records after the chain's checkpoint (and the checkpoint record), and move
    the checkpoint on when they check out. Without a checkpoint nothing is walked: the page
    asks for a full verification instead."""
    row = await session.get(AuditCheckpointRow, chain_name(team))
    report = VerifyReport(team=chain_name(team))
    if row is None:
        return ChainStatus(None, report, 0, 0)
    if row.seq:
        anchor = await session.get(AuditRow, row.seq)
        key = keys.get(anchor.key_id) if anchor is not None and anchor.key_id and keys is not None else None
        if anchor is None or anchor.hash != row.hash or anchor.team_key != team:
            _bad(report, row.seq, "the verified checkpoint record was removed or changed")
        elif (anchor.key_id is None or key is not None) and row_hash(anchor, key) != anchor.hash:
            _bad(report, row.seq, f"content does not match its hash (edited {anchor.kind!r} record)")
    count, head, last = await check_records(session, report, team, keys, set(), after=row.seq, prev=row.hash,
                                            limit=PAGE_LIMIT)
    report.records, report.head = count, head
    unchecked = await _count_after(session, team, last) if count == PAGE_LIMIT else 0
    if report.ok and count:
        row.seq, row.hash, row.checked_at = last, head, utcnow()
        session.add(row)
        await session.flush()
    return ChainStatus(row, report, count, unchecked)


async def forget_all(session: AsyncSession) -> None:
    """Drop every checkpoint: after the log is re-signed (``deputy audit reseal``) every hash
    changed, so each chain waits for a full verification again, not a false alarm."""
    await session.exec(delete(AuditCheckpointRow))


def _bad(report: VerifyReport, seq: int, text: str) -> None:
    report.first_bad_seq = seq
    report.problems.append(f"record {seq}: {text}")


async def _count_after(session: AsyncSession, team: str | None, after: int) -> int:
    found = await session.exec(select(func.count()).select_from(AuditRow)
                               .where(in_chain(team), col(AuditRow.seq) > after))
    return int(found.one())
