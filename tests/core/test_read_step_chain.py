"""Two workers of one team (two processes: each its own engine, its own guess of the audit
chain's head) executing read steps at the same time keep the team's audit chain whole. On
PostgreSQL a read step's transaction takes the chain's lock in the statement that renews the
lease and records the step (``runs.renew_and_record_read``), and its append takes none of
its own: that lock must really be held, or two appends read the same head and fork it."""

from __future__ import annotations

import asyncio
import time

from sqlmodel import col, select

from bot.app import Deputy
from bot.domain import Actor, PlanDraft, Step
from bot.execution.worker import Worker
from bot.settings import Settings
from bot.store.audit_verify import verify
from bot.store.database import Database
from bot.store.tables import AuditRow
from tests.core.parallel_world import provider_app
from tests.core.provider import Provider
from tests.support.approved import allowed, queue_approved

REQUESTER = Actor(platform="shell", team_id="local", user_id="reader", display_name="Reader")


def reads(run: int, count: int) -> PlanDraft:
    return PlanDraft(summary=f"{count} reads", steps=[
        Step(id=f"s{i}", action="slowapi.read", args={"label": f"r{run}-{i}"}, note=f"Read {i}")
        for i in range(1, count + 1)])


async def test_two_workers_read_steps_at_once_keep_the_teams_chain_whole(
        database: Database, settings: Settings, provider: Provider) -> None:
    other = Database(database.url)
    try:
        apps: list[Deputy] = [await provider_app(db, settings, provider, parallel_steps=1)
                              for db in (database, other)]
        for n in range(8):
            draft = reads(n, 6)
            await queue_approved(database, REQUESTER, draft, allowed(draft), channel="chain",
                                 message_id=f"chain-{n}-{time.monotonic_ns()}")
        ran = await asyncio.gather(*(Worker(app, f"w{i}").drain() for i, app in enumerate(apps)))
    finally:
        await other.dispose()
    assert sum(ran) == 8 and all(ran), ran  # both workers ran some of the runs
    async with database.session(all_teams=True) as session:
        report = await verify(session)
        calls = list(await session.exec(select(AuditRow).where(col(AuditRow.kind) == "call")))
        chain = list(await session.exec(select(AuditRow).where(col(AuditRow.team_key) == "shell:local")))
    assert report.ok, report.summary()
    assert len(calls) == 48
    # no fork: no record is chained to by two
    assert len({r.prev_hash for r in chain}) == len(chain)
