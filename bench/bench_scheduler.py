"""How late monitor runs are queued, and committed, when one scheduler carries 10,000 monitors.

Each monitor fires every 60 s; their first times are spread evenly over one minute
(~167 firings per second). The scheduler runs as in production (APScheduler with its
SQLAlchemy job store in Deputy's database, firings queued as goal/plan/run rows through
the store). Queue lag = firing row's enqueue time − its scheduled time; commit lag = the
time the transaction that wrote the firing (its goal, plan and run rows) committed − its
scheduled time (a session ``after_commit`` hook), over one full period after the scheduler
took the lead. PostgreSQL runs with its default ``synchronous_commit = on`` (an fsync per
commit, as in production). Also: the process's RSS, and the database load
(SQL statements and rows written per second, from a cursor-execute hook on every engine).

    .venv/bin/python -m bench.bench_scheduler                         # SQLite file
    .venv/bin/python -m bench.bench_scheduler --database-url postgresql://postgres@127.0.0.1/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, select

from bot.app import assemble
from bot.domain.models import team_of_actor_key
from bot.planning.rules import RulePlanner
from bot.policy import load_policy
from bot.registry import IntegrationEnv, discover
from bot.scheduling.runner import MonitorScheduler
from bot.settings import load_settings
from bot.store import firings, goals
from bot.store.database import Database
from bot.store.monitors import MonitorFiringRow, MonitorRow, MonitorStatus
from bot.store.schema import import_all_tables
from tests.scheduling.conftest import OWNER
from tests.scheduling.test_monitors import OVERDUE
from tests.support import postgres

STATEMENTS = {"all": 0, "write": 0}


def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    STATEMENTS["all"] += 1
    if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
        STATEMENTS["write"] += 1


COMMITTED: dict[tuple[int, datetime], datetime] = {}  # (monitor, scheduled) → committed at


def _noting_firings(queue: Any) -> Any:
    """``firings.queue_firings``, noting in its session which firings the transaction writes
    (they are inserted with Core statements, which ORM flush events do not see)."""
    async def queue_firings(session: Any, batch: Any) -> Any:
        written = await queue(session, batch)
        session.info.setdefault("bench_firings", []).extend(
            (row.monitor_id, _as_utc(row.scheduled_at)) for row in written if row is not None)
        return written
    return queue_firings


def _committed(session: Session) -> None:
    now = datetime.now(UTC)
    for key in session.info.pop("bench_firings", []):
        COMMITTED[key] = now


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def run(url: str, monitors: int, period: int, head_start: int) -> dict[str, Any]:
    import_all_tables()
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    settings = load_settings(home=Path(tempfile.mkdtemp()), database_url=url.replace("+asyncpg", ""))
    registry = discover(["local"])
    registry.start(IntegrationEnv(settings=settings, database=db, clock=None))
    app = assemble(settings, db, registry, load_policy(settings.resolved_policy_file), RulePlanner())
    setup_started = time.monotonic()
    # first firings after the head start (time to load the jobs), spread evenly over one period
    first = datetime.now(UTC) + timedelta(seconds=head_start)
    async with db.session(team=team_of_actor_key(OWNER.key)) as session:
        await goals.upsert_actor(session, OWNER)
        session.add_all([MonitorRow(
            team_key=team_of_actor_key(OWNER.key), owner_key=OWNER.key, name=f"monitor {n}", platform="shell", channel_id="bench",
            plan=OVERDUE.model_dump(by_alias=True), schedule={"kind": "interval", "seconds": period},
            timezone="Europe/London", status=MonitorStatus.ACTIVE,
            # an interval counts from activation: first firing = activated_at + period
            activated_at=first - timedelta(seconds=period) + timedelta(seconds=period * n / monitors))
            for n in range(monitors)])
    scheduler = MonitorScheduler(app, jobs_table="apscheduler_jobs")
    task = asyncio.create_task(scheduler.run_forever())
    await asyncio.wait_for(scheduler.leading.wait(), 600)
    load_seconds = time.monotonic() - setup_started
    rss_loaded, _ = rss_mb()
    wait = (first - datetime.now(UTC)).total_seconds()
    if wait < 0:
        raise SystemExit(f"loading took {load_seconds:.0f} s, longer than the {head_start} s head start")
    await asyncio.sleep(wait)
    before = dict(STATEMENTS)
    started = time.monotonic()
    await asyncio.sleep(period + 3)
    elapsed = time.monotonic() - started
    statements = {k: STATEMENTS[k] - before[k] for k in STATEMENTS}
    rss_now, rss_peak = rss_mb()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    async with db.session(all_teams=True) as session:
        rows = list(await session.exec(select(MonitorFiringRow)))
        firing_count = int((await session.exec(select(func.count()).select_from(MonitorFiringRow))).one())
    await db.dispose()
    lags = sorted((r.enqueued_at - r.scheduled_at).total_seconds() for r in rows)
    commit_lags = sorted((COMMITTED[key] - _as_utc(key[1])).total_seconds()
                         for key in ((r.monitor_id, _as_utc(r.scheduled_at)) for r in rows) if key in COMMITTED)
    return {"monitors": monitors, "firings": firing_count, "load_s": load_seconds, "lags": lags,
            "commit_lags": commit_lags,
            "rss_loaded": rss_loaded, "rss_now": rss_now, "rss_peak": rss_peak,
            "qps": statements["all"] / elapsed, "wps": statements["write"] / elapsed}


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def table(result: dict[str, Any], backend: str, command: str) -> str:
    lags, committed = result["lags"], result["commit_lags"]
    return "\n".join([
        f"`{command}` ({backend})", "",
        "| monitors | firings in one period | queue lag p50 | queue lag p99 | commit lag p50 | commit lag p99 "
        "| commit lag max | jobs loaded in | RSS loaded / end / peak | SQL statements/s | writes/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {result['monitors']:,} | {result['firings']:,} | {pct(lags, .5) * 1000:.0f} ms | "
        f"{pct(lags, .99) * 1000:.0f} ms | {pct(committed, .5) * 1000:.0f} ms | {pct(committed, .99) * 1000:.0f} ms "
        f"| {(committed[-1] if committed else 0) * 1000:.0f} ms | {result['load_s']:.1f} s | "
        f"{result['rss_loaded']:.0f} / {result['rss_now']:.0f} / {result['rss_peak']:.0f} MB | "
        f"{result['qps']:.0f} | {result['wps']:.0f} |",
        "", f"mean queue lag {statistics.fmean(lags) * 1000:.0f} ms; commit time seen for "
            f"{len(committed):,} of {len(lags):,} firings" if lags else "no firings"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--period", type=int, default=60, help="seconds between firings of one monitor")
    parser.add_argument("--head-start", type=int, default=90, help="seconds to load the jobs before the first firing")
    parser.add_argument("--database-url", default="", help="PostgreSQL admin URL; a throwaway database is used")
    args = parser.parse_args()
    event.listen(Engine, "before_cursor_execute", _count)
    firings.queue_firings = _noting_firings(firings.queue_firings)  # type: ignore[assignment]
    event.listen(Session, "after_commit", _committed)
    command = "python -m bench.bench_scheduler " + " ".join(sys.argv[1:])
    if args.database_url:
        with postgres.throwaway_database(args.database_url, durable=True) as url:
            result = asyncio.run(run(url, args.monitors, args.period, args.head_start))
        print(table(result, "PostgreSQL", command.strip()))
    else:
        path = Path(tempfile.mkdtemp()) / "deputy.db"
        result = asyncio.run(run(f"sqlite:///{path}", args.monitors, args.period, args.head_start))
        print(table(result, "SQLite", command.strip()))


if __name__ == "__main__":
    main()
