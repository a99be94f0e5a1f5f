"""Autopilot trust: how many approved runs of one plan shape a team has seen succeed.

One row per (team, plan shape, rule set). A success adds one; a failure resets the count to
zero, which revokes autopilot for that shape until it is earned again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.store.tables import utcnow
from bot.store.types import UTCDateTime

# reads of a count another worker changed meanwhile, before recording a run gives up
RECORD_TRIES = 5


class AutopilotRecordRow(SQLModel, table=True):
    __tablename__ = "autopilot_trust"
    __table_args__ = (UniqueConstraint("team_key", "shape", name="uq_autopilot_trust"),)

    id: int | None = Field(default=None, primary_key=True)
    team_key: str = Field(max_length=200)  # platform:team
    shape: str = Field(max_length=64)  # sha256 of the plan's actions and argument shapes
    successes: int = 0
    failures: int = 0  # lifetime count, for the audit trail; successes is what earns trust
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def successes(session: AsyncSession, team_key: str, shape: str) -> int:
    row = await _row(session, team_key, shape)
    return row.successes if row else 0


async def record(session: AsyncSession, team_key: str, shape: str, *, succeeded: bool) -> int:
    """Count one finished run; returns the successes before this one (to tell a revocation).
    The count is written only while it is still the one read: two workers finishing runs of
    one shape at once on SQLite (where the read takes no row lock) would otherwise both
    write from the same read, and a success could write over a failure's revocation."""
    for attempt in range(RECORD_TRIES):
        query = _query(team_key, shape).with_for_update()
        row = (await session.exec(query.execution_options(populate_existing=attempt > 0))).first()
        if row is None:
            session.add(AutopilotRecordRow(team_key=team_key, shape=shape, successes=int(succeeded),
                                           failures=int(not succeeded)))
            await session.flush()
            return 0
        before = row.successes
        values: dict[str, object] = ({"successes": before + 1} if succeeded
                                     else {"successes": 0, "failures": row.failures + 1})
        values["updated_at"] = utcnow()
        counted = await session.exec(
            update(AutopilotRecordRow).where(col(AutopilotRecordRow.id) == row.id,
                                             col(AutopilotRecordRow.successes) == before,
                                             col(AutopilotRecordRow.failures) == row.failures)
            .values(**values).execution_options(synchronize_session=False))
        if counted.rowcount == 1:
            for name, value in values.items():
                set_committed_value(row, name, value)
            return before
    raise RuntimeError(f"autopilot trust of {shape[:12]} changed {RECORD_TRIES} times while counting one run")


def _query(team_key: str, shape: str) -> SelectOfScalar[AutopilotRecordRow]:
    return select(AutopilotRecordRow).where(AutopilotRecordRow.team_key == team_key,
                                            AutopilotRecordRow.shape == shape)


async def _row(session: AsyncSession, team_key: str, shape: str) -> AutopilotRecordRow | None:
    return (await session.exec(_query(team_key, shape))).first()
