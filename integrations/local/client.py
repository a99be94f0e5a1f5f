"""The only module that opens sessions for the embedded integration, each in the team of the
call (``CallContext.team_key``): a team sees and writes only its own rows.

Every write goes through :meth:`LocalClient.write`: it looks up the call's idempotency key in
``local_writes`` and returns the stored result if the key was seen; otherwise it runs the
write and records the key in the same transaction. A crash between the two is impossible,
so the executor may resume a step any number of times and the side effect happens once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sdk import (
    LOCAL_TEAM,
    CallContext,
    DatabaseUnavailable,
    PermanentError,
    TransientError,
    zone_or_utc,
)
from integrations.local.serialize import outbox_dict
from integrations.local.tables import (
    LocalBillingClient,
    LocalCompany,
    LocalContact,
    LocalOutbox,
    LocalWrite,
)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]

# a unique-constraint race (two writers taking the same invoice number) is retried this often
_WRITE_TRIES = 3


def _system_now() -> datetime:
    return datetime.now(UTC)


class LocalClient:
    def __init__(self, database: Any, clock: Callable[[], datetime] | None = None) -> None:
        self.database = database
        self._clock = clock or _system_now

    def now(self) -> datetime:
        moment = self._clock()
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def today(self, ctx: CallContext | None = None) -> date:
        """Today in the caller's zone: 'overdue' should flip at their midnight, not UTC's."""
        tz = zone_or_utc(ctx.timezone) if ctx else UTC
        return self.now().astimezone(tz).date()

    async def read(self, team: CallContext | str, work: Work[T]) -> T:
        """``work`` in a session of the call's team: it sees only that team's rows."""
        async with self.database.session(team=_team(team)) as session:
            return await work(session)

    async def write(self, ctx: CallContext, action: str, work: Work[dict[str, Any]]) -> dict[str, Any]:
        """Run ``work`` at most once per idempotency key; a repeat returns the first result."""
        key = ctx.idempotency_key
        if not key:
            raise PermanentError(f"local.{action}: a write needs an idempotency key.")
        for _ in range(_WRITE_TRIES):
            try:
                async with self.database.session(team=ctx.team_key) as session:
                    stored = await session.get(LocalWrite, key)
                    if stored is not None:
                        return _replay(stored, action)
                    result = await work(session)
                    session.add(LocalWrite(idempotency_key=key, action=action, result=result,
                                           created_at=self.now()))
                    await session.flush()
                    return result
            except OperationalError as err:
                # SQLite refuses a second concurrent writer ("database is locked"); nothing
                # was written, so the executor may simply retry
                if "locked" not in str(err).lower():
                    raise
                raise TransientError(f"local.{action}: the database is busy; try again.",
                                     sent=False) from err
            except DatabaseUnavailable as err:
                # the connection went away, perhaps during the commit: whether the write was
                # saved is unknown, and the key ledger makes a retry with the same key safe
                raise TransientError(
                    f"local.{action}: the connection to the database was lost; whether the "
                    "change was saved is unknown", sent=None) from err
            except IntegrityError:
                # a concurrent call with the same key won, or a unique number was taken:
                # this transaction rolled back entirely, so look again
                async with self.database.session(team=ctx.team_key) as session:
                    stored = await session.get(LocalWrite, key)
                    if stored is not None:
                        return _replay(stored, action)
        raise TransientError(f"local.{action}: the database was busy with the same change; try again.",
                             sent=False)

    # ---- read helpers for the planner's context, tests and the shell -----------------

    async def known_people(self, team: str) -> list[tuple[str, str, str]]:
        """(name, email, company name or "") of every CRM contact of ``team``, by name."""
        async def work(session: AsyncSession) -> list[tuple[str, str, str]]:
            rows = await session.exec(
                select(LocalContact, LocalCompany)
                .join(LocalCompany, col(LocalContact.company_id) == col(LocalCompany.id), isouter=True)
                .order_by(col(LocalContact.name))
            )
            return [(c.name, c.email, co.name if co else "") for c, co in rows.all()]

        return await self.read(team, work)

    async def client_names(self, team: str) -> list[str]:
        async def work(session: AsyncSession) -> list[str]:
            rows = await session.exec(select(LocalBillingClient.name).order_by(col(LocalBillingClient.name)))
            return list(rows.all())

        return await self.read(team, work)

    async def outbox(self, team: str = LOCAL_TEAM) -> list[dict[str, Any]]:
        """Everything ``team`` 'sent' so far, oldest first (the shell's team by default)."""
        async def work(session: AsyncSession) -> list[dict[str, Any]]:
            rows = await session.exec(select(LocalOutbox).order_by(col(LocalOutbox.id)))
            return [outbox_dict(row) for row in rows.all()]

        return await self.read(team, work)


def _team(team: CallContext | str) -> str:
    return team.team_key if isinstance(team, CallContext) else team


def _replay(stored: LocalWrite, action: str) -> dict[str, Any]:
    if stored.action != action:
        raise PermanentError(
            f"local.{action}: this step's key was already used for local.{stored.action}; "
            "nothing was changed."
        )
    return dict(stored.result)
