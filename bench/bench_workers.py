"""Throughput of approved runs with 1, 2 and 4 `deputy worker` processes on one PostgreSQL.

    .venv/bin/python -m bench.bench_workers --runs 200 --workers 1,2,4

For each worker count, a fresh database (PostgreSQL's default ``synchronous_commit = on``)
gets ``--runs`` approved runs put straight into the store, as the approval flow leaves them
(``tests/reliability/queueing.py``: a read, a write, one write per listed item (1-3) and a
last write, to the crash harness's ``recorder`` integration, whose writes are real
transactions in that database after 3-30 ms of simulated latency). Then the workers start
as separate OS processes, and the bench waits until every run has finished. Throughput =
runs ÷ (last run finished − first run started), from the runs' own timestamps, so start-up
of the interpreters is not counted. Also: the SQL the database carried per run (statements
and transactions, from ``pg_stat_database``), to say at what rate the one PostgreSQL
becomes the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import SQLModel

from bot.store.database import Database
from bot.store.schema import import_all_tables
from tests.reliability import effects_ledger
from tests.reliability.crash_harness import WorkerPool, worker_env
from tests.reliability.queueing import queue_runs
from tests.support import postgres


async def _scalar(db: Database, sql: str) -> Any:
    async with db.engine.connect() as conn:
        return (await conn.execute(text(sql))).scalar_one()


async def _stats(db: Database) -> tuple[int, int]:
    """Transactions committed and tuples written in this database so far."""
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database "
            "WHERE datname = current_database()"))).one()
    return int(row[0]), int(row[1])


async def one(url: str, workers: int, runs: int, seed: int) -> dict[str, float]:
    import_all_tables()
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
            await effects_ledger.create_ledger(conn)
        await queue_runs(db, runs, random.Random(seed), plain_share=0.0)
        await asyncio.sleep(1.0)  # pg_stat_database is updated by the server about once a second
        before = await _stats(db)
        with tempfile.TemporaryDirectory() as folder:
            pool = WorkerPool(worker_env(url.replace("+asyncpg", ""), Path(folder) / "home", 30.0,
                                         {"DEPUTY_WORKER_POLL_SECONDS": "0.05"}), Path(folder))
            for _ in range(workers):
                await pool.start()
            deadline = time.monotonic() + 900
            try:
                while await _scalar(db, "SELECT count(*) FROM runs WHERE status NOT IN ('succeeded', 'failed')"):
                    if time.monotonic() > deadline or not pool.alive():
                        raise SystemExit(f"{workers} workers did not finish the runs; logs in {folder}")
                    await asyncio.sleep(0.2)
            finally:
                await pool.stop_all()
        await asyncio.sleep(1.0)
        after = await _stats(db)
        span = await _scalar(db, "SELECT EXTRACT(EPOCH FROM max(finished_at) - min(started_at)) FROM runs")
        failed = await _scalar(db, "SELECT count(*) FROM runs WHERE status = 'failed'")
        steps = await _scalar(db, "SELECT count(*) FROM step_results")
    finally:
        await db.dispose()
    return {"workers": workers, "runs": runs, "failed": failed, "seconds": float(span),
            "runs_per_s": runs / float(span), "steps": steps,
            "xacts_per_run": (after[0] - before[0]) / runs, "writes_per_run": (after[1] - before[1]) / runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="", help="PostgreSQL admin URL (default: the test server)")
    args = parser.parse_args()
    admin = args.database_url or postgres.server_url()
    results = []
    for count in (int(n) for n in args.workers.split(",")):
        with postgres.throwaway_database(admin, durable=True) as url:
            results.append(asyncio.run(one(url, count, args.runs, args.seed)))
    base = results[0]["runs_per_s"]
    print(f"Approved runs executed by N `deputy worker` processes, {args.runs} runs each "
          f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end)\n")
    print("| workers | runs | failed | steps | seconds | runs/s | × one worker | transactions/run | rows written/run |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['workers']} | {r['runs']} | {r['failed']} | {r['steps']} | {r['seconds']:.1f} | "
              f"{r['runs_per_s']:.1f} | {r['runs_per_s'] / base:.2f} | {r['xacts_per_run']:.0f} | "
              f"{r['writes_per_run']:.0f} |")


if __name__ == "__main__":
    main()
