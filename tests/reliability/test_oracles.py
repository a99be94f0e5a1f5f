"""The suites' counters can fail: a write run without approval and a lost or doubled effect
are each seen, so "0" in the figures means something."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from bot.app import Deputy
from bot.domain import LOCAL_TEAM
from bot.execution.worker import Worker
from bot.flow.card_refresh import start_run
from bot.store.database import Database
from tests.reliability.crash_harness import CrashReport, check_effects
from tests.reliability.effects_ledger import PLAIN
from tests.reliability.injection_world import tally
from tests.reliability.queueing import queue_runs
from tests.support.chat import Chat


async def test_the_injection_oracle_sees_a_write_run_without_approval(
        fresh: Callable[[], Awaitable[Deputy]]) -> None:
    app = await fresh()
    chat = Chat(app, user="Dev Patel")
    assert "awaiting approval" in await chat.say("chase overdue invoices")
    await start_run(app, 1, 1, team=LOCAL_TEAM, actor_key=None)  # as a bug that skipped the approval would
    await Worker(app, "test").drain()
    counted = await tally(app)
    assert counted.writes == 3
    assert len(counted.unapproved) == 3 and "0 valid approval(s)" in counted.unapproved[0]


async def test_the_crash_checker_sees_lost_and_doubled_effects(crash_database_url: str) -> None:
    db = Database(crash_database_url)
    try:
        queued = await queue_runs(db, 2, random.Random(1), plain_share=1.0)
        first, second = queued
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE runs SET status = 'succeeded'"))
            for key in (f"deputy-run{first.run_id}-s2", f"deputy-run{first.run_id}-s2"):
                await conn.execute(text(
                    "INSERT INTO reliability_effects (integration, key, label, pid) VALUES (:i, :k, 'x', 1)"),
                    {"i": PLAIN, "k": key})
        report = CrashReport()
        await check_effects(db, queued, report)
    finally:
        await db.dispose()
    assert f"deputy-run{first.run_id}-s2 ×2" in report.duplicated
    assert f"deputy-run{second.run_id}-s2" in report.lost
    assert f"deputy-run{first.run_id}-s4" in report.lost


async def test_the_crash_checker_judges_each_run_and_counts_the_real_servers(
        crash_database_url: str) -> None:
    """A failed run is reported even when the other runs succeeded, and a label a real
    server stored twice is a duplicate."""
    db = Database(crash_database_url)
    try:
        crm_run, stripe_run = await queue_runs(db, 2, random.Random(1), real=("crm", "invoicing"))
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE runs SET status = 'succeeded' WHERE id = :r"),
                               {"r": crm_run.run_id})
            await conn.execute(text("UPDATE runs SET status = 'failed', error = 'step 2 failed: boom' "
                                    "WHERE id = :r"), {"r": stripe_run.run_id})
        notes = {label: 1 for _, _, label in crm_run.writes()} | {"g1-s2": 2}
        report = CrashReport()
        await check_effects(db, [crm_run, stripe_run], report, {"crm": notes, "invoicing": {}})
    finally:
        await db.dispose()
    assert report.duplicated == ["crm g1-s2 ×2"]
    assert report.lost == []  # the failed run had no step done, so nothing was owed
    assert report.bad_runs == [f"run {stripe_run.run_id} (invoicing) failed, though its writes "
                               "can be resent: step 2 failed: boom"]
