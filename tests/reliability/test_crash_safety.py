"""Crash safety on PostgreSQL with several `deputy worker` processes killed by SIGKILL.

Invariant 3: a step's side effect happens at most once, and a crash never forgets one.
Small by default; DEPUTY_RELIABILITY_SCALE=N for N times the runs and kills;
DEPUTY_RELIABILITY_SEED picks another reproducible kill schedule;
DEPUTY_RELIABILITY_REPORT_DIR=folder writes the figures (crash.json).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict
from pathlib import Path

from bot.store.audit_verify import verify
from bot.store.database import Database
from tests.reliability.conftest import reliability_scale, reliability_seed
from tests.reliability.crash_harness import (
    CrashConfig,
    CrashReport,
    WorkerPool,
    chaos,
    check_effects,
    worker_env,
)
from tests.reliability.figures import publish
from tests.reliability.queueing import queue_runs


def _tails(folder: Path) -> str:
    return "\n".join(p.read_text()[-2000:] for p in sorted(folder.glob("worker-*.log")))


async def test_killed_workers_never_lose_or_repeat_a_side_effect(
        crash_database_url: str, tmp_path: Path) -> None:
    scale = reliability_scale()
    config = CrashConfig(runs=12 * scale, workers=3 + (scale > 1), kills=5 * scale,
                         seed=reliability_seed(), deadline_seconds=90.0 * scale)
    db = Database(crash_database_url)
    try:
        queued = await queue_runs(db, config.runs, random.Random(config.seed))
        pool = WorkerPool(worker_env(crash_database_url, tmp_path / "home", config.lease_seconds), tmp_path)
        report = CrashReport()
        try:
            await chaos(db, pool, config, report)
        finally:
            await pool.stop_all()
        await check_effects(db, queued, report)
        async with db.session() as session:
            chain = await verify(session)
    finally:
        await db.dispose()
    await asyncio.to_thread(publish, "crash", {
        "summary": report.summary(), "config": asdict(config), "report": asdict(report),
        "audit_chain_ok": chain.ok})
    logs = await asyncio.to_thread(_tails, tmp_path)
    assert report.kills >= config.kills // 2, report.summary()
    assert report.unfinished == 0, report.summary() + "\n" + logs
    assert report.lost == [], report.lost
    assert report.duplicated == [], report.duplicated
    assert report.failed_without_reason == 0
    # runs against the idempotent system resume after any crash, so they all succeed
    idempotent_failed = [q for q in queued if q.integration == "recorder"]
    assert report.succeeded >= len(idempotent_failed), report.failure_reasons
    assert chain.ok, chain.summary()
