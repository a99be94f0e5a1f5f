"""A monitor changed in two processes at once (a person in chat, the operator's CLI, another
person): the second change finds the monitor changed and says so, instead of writing over
the first (tests/approvals/test_races.py has the shape)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from bot.app import Deputy
from bot.errors import UserError
from bot.scheduling import service
from bot.scheduling.firing import enqueue_firing
from bot.scheduling.model import Schedule
from bot.store.database import Database
from bot.store.monitors import MonitorRow, MonitorStatus
from tests.scheduling.conftest import FINANCE, OWNER, Clock
from tests.scheduling.test_monitors import OVERDUE

# long enough for the approval to have read the monitor (and, on SQLite, to wait to write)
READ_MEANWHILE = 0.5


async def test_a_monitor_deleted_in_another_process_meanwhile_is_not_approved(
        deputy: Deputy, database: Database, clock: Clock) -> None:
    """The operator deletes a proposed monitor from the CLI while its owner approves it in
    chat: the approval read it as proposed. It must not bring the deleted monitor back."""
    row = await service.create_monitor(deputy, OWNER, "Overdue", OVERDUE, Schedule.every(3600), FINANCE)
    other = Database(database.url)  # the CLI's process
    try:
        async with other.session(all_teams=True) as session:
            await session.exec(update(MonitorRow).where(MonitorRow.id == row.id)  # type: ignore[arg-type]
                               .values(status=MonitorStatus.DELETED, revision=MonitorRow.revision + 1))
            approving = asyncio.create_task(service.approve(deputy, row.id or 0, OWNER))
            await asyncio.sleep(READ_MEANWHILE)
        with pytest.raises(UserError, match=f"(Monitor {row.id} was changed by someone else a moment ago "
                                            rf"\(it is now deleted\)|There is no monitor {row.id})"):
            await approving
    finally:
        await other.dispose()
    assert (await enqueue_firing(deputy, row.id or 0, clock.now)).outcome == "inactive"
