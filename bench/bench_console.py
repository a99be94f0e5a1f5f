"""Benchmark of the web console's pages (issue 21): every page, p95 server time, with
10,000 runs and 100,000 audit records of one team.

    .venv/bin/python -m bench.bench_console                       # SQLite in a temp folder
    .venv/bin/python -m bench.bench_console --database-url postgresql://postgres@127.0.0.1/postgres

Fills one Slack team (``slack:T1``, 100 people) with N runs (default 10,000: each a goal, a
plan, a two-step version, the run and its two step results; statuses mixed) and M audit
records (default 100,000) in the team's chain, hash-chained under a real key, plus 20 plans
waiting for the signed-in person's approval, 50 monitors and another team's 1,000 runs.
Then serves the console in-process (aiohttp on 127.0.0.1), signs in with a one-time link,
and requests each page R times (default 200) over HTTP; the time counted is the server's,
from the request reaching the console's handler to its response being ready (an aiohttp
middleware). *Verify the chain* (all 100,000 records checked) is timed apart, once, before
the pages: it is an action, not a page, and it leaves the checkpoint the Audit page checks
from. With ``--database-url``, a throwaway PostgreSQL database is created
(durable: fsync on) and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import insert
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import assemble  # noqa: E402
from bot.console import add_console_routes  # noqa: E402
from bot.console.signin import make_link  # noqa: E402
from bot.domain import Actor  # noqa: E402
from bot.planning.rules import RulePlanner  # noqa: E402
from bot.policy import load_policy  # noqa: E402
from bot.registry import IntegrationEnv, discover  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.store.audit import GENESIS, record_hash  # noqa: E402
from bot.store.database import Database  # noqa: E402
from bot.store.monitors import MonitorRow  # noqa: E402
from bot.store.schema import import_all_tables  # noqa: E402
from bot.store.tables import (  # noqa: E402
    ActorRow,
    AuditRow,
    GoalRow,
    PlanRow,
    PlanVersionRow,
    RunRow,
    StepResultRow,
    StepRow,
)
from bot.vault import CredentialStore  # noqa: E402
from bot.vault.audit_key import AuditKeys  # noqa: E402
from bot.vault.keyring import Keyring  # noqa: E402
from bot.vault.keys import generate_key  # noqa: E402
from tests.support import postgres  # noqa: E402

TEAM, OTHER = "T1", "T2"
ME = Actor(platform="slack", team_id=TEAM, user_id="U0000", display_name="bench")
STATUSES = ["succeeded"] * 7 + ["failed", "cancelled", "running"]
BATCH = 2_000


def _rows(model: type[SQLModel], items: list[SQLModel]) -> tuple[Any, list[dict[str, Any]]]:
    return model.__table__, [i.model_dump() for i in items]  # type: ignore[attr-defined]


async def _insert(db: Database, model: type[SQLModel], items: list[SQLModel]) -> None:
    table, values = _rows(model, items)
    async with db.engine.begin() as conn:
        for start in range(0, len(values), BATCH):
            await conn.execute(insert(table), values[start:start + BATCH])


def _plan(goal_id: int, team: str, version_status: str, now: datetime) -> list[tuple[type[SQLModel], SQLModel]]:
    key = f"slack:{team}"
    return [
        (PlanRow, PlanRow(id=goal_id, goal_id=goal_id, current_version=1, team_key=key, created_at=now)),
        (PlanVersionRow, PlanVersionRow(id=goal_id, plan_id=goal_id, version=1, summary="chase overdue invoices",
                                        fingerprint=f"{goal_id:064x}", status=version_status, reason="planned",
                                        approvals_required=1, team_key=key, created_at=now)),
        (StepRow, StepRow(id=2 * goal_id - 1, plan_version_id=goal_id, position=1, step_id="s1",
                          action="local.list_invoices", args={"status": "overdue"}, effect="read",
                          verdict="allow", verdict_reason="read step", rule="reads-run-alone", team_key=key)),
        (StepRow, StepRow(id=2 * goal_id, plan_version_id=goal_id, position=2, step_id="s2",
                          action="local.send_reminder", args={"invoice_id": goal_id}, effect="write",
                          verdict="require_approval", verdict_reason="needs 1 approval",
                          rule="writes-need-one-approval", team_key=key)),
    ]


async def fill(db: Database, runs: int, audits: int, keys: AuditKeys) -> tuple[int, int]:
    """(a run id of the team, a waiting plan id)"""
    rnd = random.Random(21)
    now = datetime.now(UTC)
    people = [Actor(platform="slack", team_id=TEAM, user_id=f"U{n:04d}") for n in range(100)]
    others = [Actor(platform="slack", team_id=OTHER, user_id=f"U{n:04d}") for n in range(10)]
    await _insert(db, ActorRow, [ActorRow(key=a.key, platform="slack", team_id=a.team_id, user_id=a.user_id,
                                          display_name=a.user_id) for a in people + others])
    rows: dict[type[SQLModel], list[SQLModel]] = defaultdict(list)
    total = runs + 1_000 + 20
    for goal_id in range(1, total + 1):
        waiting = goal_id > runs + 1_000
        team = OTHER if runs < goal_id <= runs + 1_000 else TEAM
        who = ME if waiting else rnd.choice(people if team == TEAM else others)
        at = now - timedelta(minutes=total - goal_id)
        rows[GoalRow].append(GoalRow(id=goal_id, requester_key=who.key, platform="slack", team_id=team,
                                     channel_id="C1", thread_id=f"{goal_id}.0", text=f"chase overdue invoices {goal_id}",
                                     status="waiting" if waiting else "done", team_key=f"slack:{team}",
                                     created_at=at, updated_at=at))
        for model, row in _plan(goal_id, team, "proposed" if waiting else "approved", at):
            rows[model].append(row)
        if waiting:
            continue
        status = rnd.choice(STATUSES)
        rows[RunRow].append(RunRow(id=goal_id, goal_id=goal_id, plan_version_id=goal_id, status=status,
                                   team_key=f"slack:{team}", created_at=at, started_at=at,
                                   finished_at=None if status == "running" else at + timedelta(seconds=2)))
        for n, step in ((1, "s1"), (2, "s2")):
            rows[StepResultRow].append(StepResultRow(
                id=2 * goal_id - 2 + n, run_id=goal_id, step_id=step, action="local.list_invoices",
                idempotency_key=f"deputy-run{goal_id}-{step}", status="succeeded", attempts=1,
                args={"status": "overdue"}, result={"count": 3, "invoices": [{"id": i} for i in range(3)]},
                team_key=f"slack:{team}", started_at=at, finished_at=at + timedelta(seconds=1)))
    rows[MonitorRow] = [MonitorRow(id=n, owner_key=people[n].key, name=f"monitor {n}", platform="slack",
                                   channel_id="C1", status="active") for n in range(1, 51)]
    for model in (GoalRow, PlanRow, PlanVersionRow, StepRow, RunRow, StepResultRow, MonitorRow):
        await _insert(db, model, rows[model])
    key_id, key = keys.active()
    prev, chain = GENESIS, []
    kinds = ["goal", "plan_proposed", "approve", "run_queued", "call", "message_posted"]
    for seq in range(1, audits + 1):
        at = now - timedelta(seconds=audits - seq)
        who, kind = rnd.choice(people).key, kinds[seq % len(kinds)]
        data = {"run": rnd.randrange(1, runs + 1), "text": "chase overdue invoices"}
        digest = record_hash(prev, at, kind, who, seq % runs + 1, data, key, f"slack:{TEAM}")
        chain.append(AuditRow(seq=seq, team_key=f"slack:{TEAM}", at=at, kind=kind, actor_key=who,
                              goal_id=seq % runs + 1, data=data, prev_hash=prev, hash=digest, key_id=key_id))
        prev = digest
    await _insert(db, AuditRow, chain)
    if db.engine.dialect.name == "postgresql":
        async with db.engine.begin() as conn:  # the rows came with their ids: move the sequences on
            for name, column in (("goals", "id"), ("plans", "id"), ("plan_versions", "id"), ("steps", "id"),
                                 ("runs", "id"), ("step_results", "id"), ("monitors", "id"), ("audit_log", "seq")):
                await conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                                           f"(SELECT max({column}) FROM {name}))")
        async with db.engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql("VACUUM ANALYZE")
    else:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
    return runs // 2, runs + 1_000 + 1


def pages(run_id: int, plan_id: int) -> list[tuple[str, str]]:
    return [
        ("Waiting for you (10 of 20 cards)", "/console/waiting"), ("Waiting for you, page 2", "/console/waiting?page=2"),
        ("a plan", f"/console/plans/{plan_id}"),
        ("Goals and runs", "/console/runs"),
        ("runs, older page", "/console/runs?before=5000"),
        ("runs, status=failed", "/console/runs?status=failed"),
        ("runs, requester", "/console/runs?requester=U0042"),
        ("runs, integration and dates", "/console/runs?integration=local&since=2020-01-01&until=2100-01-01"),
        ("a run's timeline", f"/console/runs/{run_id}"),
        ("Audit", "/console/audit"),
        ("audit, kind=approve", "/console/audit?kind=approve"),
        ("audit, older page", "/console/audit?before=50000"),
        ("Policy", "/console/policy"),
        ("Monitors", "/console/monitors"),
        ("My connections", "/console/connections"),
    ]


async def measure(url: str, runs: int, audits: int, repeat: int) -> tuple[dict[str, list[float]], float, float]:
    import_all_tables()
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    keyring = Keyring([generate_key("k1")])
    db.audit_keys = AuditKeys(keyring)
    started = time.monotonic()
    run_id, plan_id = await fill(db, runs, audits, AuditKeys(keyring))
    filled = time.monotonic() - started
    settings = load_settings(home=Path(tempfile.mkdtemp()), database_url=url.replace("+asyncpg", ""))
    registry = discover(["local"])
    registry.start(IntegrationEnv(settings=settings, database=db, clock=None))
    app = assemble(settings, db, registry, load_policy(settings.resolved_policy_file), RulePlanner(),
                   vault=CredentialStore(db, keyring))
    spent: dict[str, list[float]] = defaultdict(list)

    @web.middleware
    async def clock(request: web.Request, handler: Handler) -> web.StreamResponse:
        begun = time.perf_counter()
        try:
            return await handler(request)
        finally:
            spent[request.path_qs].append((time.perf_counter() - begun) * 1000)

    web_app = web.Application(middlewares=[clock])
    add_console_routes(web_app, app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            token = (await make_link(db, ME, base, datetime.now(UTC))).rsplit("token=", 1)[1]
            async with http.post(base + "/console/signin", data={"token": token}) as response:
                assert response.status == 200, await response.text()
                page = await response.text()
            csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            # first, as an operator would: the full verification leaves the checkpoint the
            # Audit page then checks from (bot/store/audit_checkpoint.py)
            begun = time.perf_counter()
            async with http.post(base + "/console/audit/verify", data={"csrf": csrf}) as response:
                body = await response.text()
                assert response.status == 200 and "intact" in body, body[:500]
            verify_ms = (time.perf_counter() - begun) * 1000
            for _ in range(repeat):
                for _name, path in pages(run_id, plan_id):
                    async with http.get(base + path) as response:
                        assert response.status == 200, (path, response.status, (await response.text())[:300])
                        body = await response.read()
                        assert b"TAMPERED" not in body, path
    finally:
        await runner.cleanup()
        await registry.aclose()
        await db.dispose()
    return spent, verify_ms, filled


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def table(spent: dict[str, list[float]], verify_ms: float, backend: str, args: argparse.Namespace) -> str:
    lines = [f"{backend}: {args.runs:,} runs, {args.audit:,} audit records, {args.repeat} requests per page",
             "", "| page | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
    for name, path in pages(args.runs // 2, args.runs + 1_001):
        values = spent[path]
        lines.append(f"| {name} | {statistics.median(values):.1f} | {pct(values, 95):.1f} | {max(values):.1f} |")
    lines.append(f"| *Verify the chain* (an action: {args.audit:,} records) | {verify_ms:.0f} (once) | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--audit", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url", default="", help="PostgreSQL admin URL; a throwaway database is used")
    args = parser.parse_args()
    if args.database_url:
        with postgres.throwaway_database(args.database_url, durable=True) as url:
            spent, verify_ms, _ = asyncio.run(measure(url, args.runs, args.audit, args.repeat))
        print(table(spent, verify_ms, "PostgreSQL", args))
    else:
        path = Path(tempfile.mkdtemp()) / "deputy.db"
        spent, verify_ms, _ = asyncio.run(measure(f"sqlite:///{path}", args.runs, args.audit, args.repeat))
        print(table(spent, verify_ms, "SQLite", args))


if __name__ == "__main__":
    main()
