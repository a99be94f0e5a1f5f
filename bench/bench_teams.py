"""Benchmark: does a team's query get slower as the deployment serves more teams?

    .venv/bin/python bench/bench_teams.py --database-url postgresql://postgres@127.0.0.1/bench_teams

Fills one database with 10 teams × 100 goals and another with 1,000 teams × 100 goals
(100,000 goals, about a million rows); each goal has a plan, a version, two steps, an
approval, a run with two step results, a card and a thread message, half the runs finished.
VACUUM ANALYZE after each fill, as autovacuum would. Then samples the two in turn, so the
shared machine's load weighs on both sizes alike.

What is timed is what Deputy does for one team, through the real repositories in a session of
that team (``database.session(team=…)``, which adds ``team_key = …`` to every query):
open a goal (``get_goal`` + ``load_view``: plan, version, steps), the team's recent runs
(``list_runs``, 50 newest) and their counts by status (``count_by_status``), a goal's runs and
step results, and a thread reply's goal (``goal_by_thread``). Each sample is one session doing
one of these for a random team and goal. The PostgreSQL databases (the URL's, and the
URL's name + ``_10`` for the small one) are created if missing and are disposable: their
tables are dropped and re-created.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shlex
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain import Where  # noqa: E402
from bot.store import goals, runs  # noqa: E402
from bot.store.database import Database, async_url  # noqa: E402
from bot.store.schema import import_all_tables  # noqa: E402
from bot.store.tables import (  # noqa: E402
    ActorRow,
    ApprovalRow,
    ChatMessageRow,
    GoalRow,
    PlanRow,
    PlanVersionRow,
    RunRow,
    StepResultRow,
    StepRow,
    ThreadMessageRow,
    utcnow,
)

GOALS_PER_TEAM = 100


def team_key(n: int) -> str:
    return f"slack:T{n:05d}"


async def _ensure_database(url: str) -> None:
    plain = make_url(url)
    admin = create_async_engine(async_url(plain.set(database="postgres").render_as_string(hide_password=False)),
                                isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        exists = (await conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                     {"d": plain.database})).first()
        if exists is None:
            await conn.execute(text(f'CREATE DATABASE "{plain.database}"'))
    await admin.dispose()


async def _schema(database: Database) -> None:
    metadata = import_all_tables().metadata
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)


def _tab(model: Any) -> Any:
    return model.__table__


def _rows(model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the model's defaults for the columns not given (as the ORM would fill)."""
    defaults = {name: field.get_default(call_default_factory=True)
                for name, field in model.model_fields.items() if not field.is_required() and name != "id"}
    return [{**defaults, **row} for row in rows]


async def _fill(database: Database, first: int, last: int) -> None:
    """Teams first..last-1, GOALS_PER_TEAM goals each, in batches of 20 teams."""
    now = utcnow()
    for start in range(first, last, 20):
        teams = range(start, min(last, start + 20))
        async with database.engine.begin() as conn:
            await conn.execute(insert(_tab(ActorRow)), _rows(ActorRow, [dict(
                key=f"{team_key(t)}:U1", platform="slack", team_id=f"T{t:05d}", user_id="U1",
                display_name="Ann", timezone="UTC", created_at=now) for t in teams]))
            goal_rows: list[dict[str, Any]] = [dict(
                team_key=team_key(t), requester_key=f"{team_key(t)}:U1", platform="slack", team_id=f"T{t:05d}",
                channel_id="C1", thread_id=f"{t}.{g}", source_event_id=f"ev-{t}-{g}", text="invoice Acme",
                requester_groups=[], status="done" if g % 2 else "waiting", usage={}, created_at=now,
                updated_at=now) for t in teams for g in range(GOALS_PER_TEAM)]
            ids = [r[0] for r in await conn.execute(
                insert(_tab(GoalRow)).returning(_tab(GoalRow).c.id, sort_by_parameter_order=True),
                _rows(GoalRow, goal_rows))]
            teams_of = [g["team_key"] for g in goal_rows]
            plan_ids = [r[0] for r in await conn.execute(
                insert(_tab(PlanRow)).returning(_tab(PlanRow).c.id, sort_by_parameter_order=True),
                _rows(PlanRow, [dict(team_key=k, goal_id=g, current_version=1, created_at=now)
                                for k, g in zip(teams_of, ids, strict=True)]))]
            version_ids = [r[0] for r in await conn.execute(
                insert(_tab(PlanVersionRow)).returning(_tab(PlanVersionRow).c.id, sort_by_parameter_order=True),
                _rows(PlanVersionRow, [dict(team_key=k, plan_id=p, version=1, summary="invoice Acme", fingerprint="f" * 64,
                      status="approved", reason="planned", author_key=None, approvals_required=1,
                      requester_may_approve=True, requester_consent=False, planned_by="", created_at=now)
                 for k, p in zip(teams_of, plan_ids, strict=True)]))]
            await conn.execute(insert(_tab(StepRow)), _rows(StepRow, [dict(
                team_key=k, plan_version_id=v, position=n, step_id=f"s{n}", action="local.list_invoices", args={},
                for_each=None, note="", effect="read", verdict="allow", verdict_reason="", rule="")
                for k, v in zip(teams_of, version_ids, strict=True) for n in (1, 2)]))
            await conn.execute(insert(_tab(ApprovalRow)), _rows(ApprovalRow, [dict(
                team_key=k, plan_version_id=v, approver_key=f"{k}:U1", decision="approve", fingerprint="f" * 64,
                groups=[], created_at=now) for k, v in zip(teams_of, version_ids, strict=True)]))
            run_ids = [r[0] for r in await conn.execute(
                insert(_tab(RunRow)).returning(_tab(RunRow).c.id, sort_by_parameter_order=True),
                _rows(RunRow, [dict(team_key=k, goal_id=g, plan_version_id=v, status="succeeded" if i % 2 else "queued",
                      claimed_by=None, lease_until=None, error="", failed_step=None, created_at=now,
                      started_at=None, finished_at=None)
                 for i, (k, g, v) in enumerate(zip(teams_of, ids, version_ids, strict=True))]))]
            await conn.execute(insert(_tab(StepResultRow)), _rows(StepResultRow, [dict(
                team_key=k, run_id=r, step_id=f"s{n}", action="local.list_invoices", idempotency_key=f"deputy-run{r}-s{n}",
                status="succeeded", attempts=1, args={}, result={"count": 3}, error="", started_at=now,
                finished_at=now) for k, r in zip(teams_of, run_ids, strict=True) for n in (1, 2)]))
            await conn.execute(insert(_tab(ChatMessageRow)), _rows(ChatMessageRow, [dict(
                team_key=k, goal_id=g, plan_version_id=v, kind="plan_card", platform="slack", channel_id="C1",
                message_id=f"m{g}", created_at=now) for k, g, v in zip(teams_of, ids, version_ids, strict=True)]))
            await conn.execute(insert(_tab(ThreadMessageRow)), _rows(ThreadMessageRow, [dict(
                team_key=k, goal_id=g, author="Ann", author_key=f"{k}:U1", source_event_id=f"r{g}", status="",
                text="and the overdue ones", created_at=now) for k, g in zip(teams_of, ids, strict=True)]))
    async with database.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


Query = Callable[[Database, str, int], Awaitable[Any]]


async def open_goal(db: Database, team: str, goal_id: int) -> None:
    async with db.session(team=team) as s:
        goal = await goals.get_goal(s, goal_id)
        plan = await goals.plan_for_goal(s, goal_id)
        assert goal is not None and plan is not None and plan.id is not None
        assert await goals.load_view(s, plan.id) is not None


async def recent_runs(db: Database, team: str, _goal: int) -> None:
    async with db.session(team=team) as s:
        assert len(await runs.list_runs(s)) == 50
        assert sum((await runs.count_by_status(s)).values()) == GOALS_PER_TEAM


async def runs_and_steps(db: Database, team: str, goal_id: int) -> None:
    async with db.session(team=team) as s:
        [run] = await runs.runs_of_goal(s, goal_id)
        assert run.id is not None and len(await runs.step_results(s, run.id)) == 2


async def thread_reply(db: Database, team: str, goal_id: int) -> None:
    async with db.session(team=team) as s:
        goal = await goals.get_goal(s, goal_id)
        assert goal is not None
        assert await goals.goal_by_thread(s, Where(platform="slack", channel_id="C1",
                                                           thread_id=goal.thread_id)) is not None


QUERIES: dict[str, Query] = {"open a goal": open_goal, "recent runs + counts": recent_runs,
                             "a goal's runs + steps": runs_and_steps, "thread reply's goal": thread_reply}


async def _goal_ids(db: Database, teams: int) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    async with db.engine.connect() as conn:
        for key, goal_id in (await conn.execute(text("SELECT team_key, id FROM goals"))).all():
            out.setdefault(key, []).append(goal_id)
    assert len(out) == teams
    return out


async def _measure(small: Database, large: Database, sizes: tuple[int, int], samples: int,
                   rnd: random.Random) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Samples on the two databases in turn, so the machine's load weighs on both alike."""
    dbs = (small, large)
    ids = [await _goal_ids(db, n) for db, n in zip(dbs, sizes, strict=True)]
    took: tuple[dict[str, list[float]], dict[str, list[float]]] = ({n: [] for n in QUERIES}, {n: [] for n in QUERIES})
    for i in range(2 * (samples + 100)):
        which = i % 2
        name = list(QUERIES)[(i // 2) % len(QUERIES)]
        team = rnd.choice(sorted(ids[which]))
        goal_id = rnd.choice(ids[which][team])
        t0 = time.perf_counter()
        await QUERIES[name](dbs[which], team, goal_id)
        if i >= 200:  # the first hundred of each warm the pool and the caches
            took[which][name].append((time.perf_counter() - t0) * 1000)
    return took


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    small_url = f"{args.database_url}_{args.small}"
    dbs = []
    t0 = time.perf_counter()
    for url, teams in ((small_url, args.small), (args.database_url, args.large)):
        await _ensure_database(url)
        db = Database(url)
        assert not db.is_sqlite, "this benchmark is about PostgreSQL"
        await _schema(db)
        await _fill(db, 0, teams)
        dbs.append(db)
    fill_s = time.perf_counter() - t0
    small, large = await _measure(dbs[0], dbs[1], (args.small, args.large), args.samples, random.Random(20))
    for db in dbs:
        await db.dispose()
    print(f"Command: `{' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}`\n")
    print(f"PostgreSQL; {GOALS_PER_TEAM} goals per team, {args.small} teams in one database and {args.large:,} "
          f"in another (filled in {fill_s:.0f} s); {args.samples:,} samples on each, taken in turn (one "
          f"session each, the four queries in turn, random team and goal); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print(f"| query (one team's session) | p50 at {args.small} teams | p99 at {args.small} teams "
          f"| p50 at {args.large:,} | p99 at {args.large:,} | p99 growth |")
    print("|---|---|---|---|---|---|")
    every_small = [x for v in small.values() for x in v]
    every_large = [x for v in large.values() for x in v]
    for name in [*QUERIES, "all four"]:
        a = every_small if name == "all four" else small[name]
        b = every_large if name == "all four" else large[name]
        print(f"| {name} | {statistics.median(a):.2f} ms | {_p(a, 0.99):.2f} ms | {statistics.median(b):.2f} ms "
              f"| {_p(b, 0.99):.2f} ms | {_p(b, 0.99) / _p(a, 0.99):.2f}× |")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1/bench_teams")
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=1_000)
    parser.add_argument("--samples", type=int, default=4_000)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_arguments()))
