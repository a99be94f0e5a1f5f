"""Benchmark: planning latency with team memory on vs off, side by side.

    .venv/bin/python -m bench.bench_memory_planning                     # SQLite in a temp folder
    .venv/bin/python -m bench.bench_memory_planning --database-url postgresql://postgres@127.0.0.1/bench_plan

Builds the whole app as `deputy shell` does (local integration with the demo data, default
policy, the rule planner) over a database holding N memories (default 10,000) in the
asker's team, in the mix of bench/bench_memory.py (20 channels, 200 people, scopes mixed,
superseded and forgotten ones), plus the memories the goals depend on in the asked channel
(the team, standup and client meeting lengths). Then, for each goal asked by a demo person in
that channel, times what Deputy does between a goal and its plan (`bot/flow/goals.py`):
`planning_context` and the planner's `plan` — with memory (the context recalls the goal's
memories and the past runs it may reuse) and without (no recall), alternating, so both see
the same load. Prints a markdown table. The PostgreSQL database named in the URL must exist
and be disposable: every Deputy table in it is dropped and re-created.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench.bench_memory import TABLE, _memory
from bot.adapters.shell.session import local_actor
from bot.app import Deputy, assemble
from bot.domain import PlanDraft, PlanningOutcome, Where
from bot.flow.context import planning_context
from bot.planning.rules import RulePlanner
from bot.policy import load_policy
from bot.registry import IntegrationEnv, discover
from bot.settings import load_settings
from bot.store.database import Database
from bot.store.schema import import_all_tables
from integrations.local.demo import seed

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TEAM, CHANNEL = "shell:local", "C0"
TAUGHT = [("the team is Ana, Ben and Chloe", "team_members", {"names": ["Ana", "Ben", "Chloe"]}),
          ("our standups are 15 minutes", "meeting_length", {"meeting": "standup", "with": "", "minutes": 15}),
          ("meetings with Globex are 45 minutes", "meeting_length", {"meeting": "meeting", "with": "Globex",
                                                                     "minutes": 45})]
GOALS = ["book a meeting with the team tomorrow at 10", "book a standup with Ana and Ben tomorrow at 10",
         "book a call with Tom Becker from Globex tomorrow at 10", "invoice Acme Corp for last month",
         "chase overdue invoices", "look up Maria Gonzalez", "book a sync with everyone tomorrow at 3pm",
         "what's on my calendar tomorrow?"]
ASKERS = ["Dev Patel", "Ana Lima", "Ben Okafor"]


async def _build(url: str, home: Path) -> Deputy:
    database = Database(url)
    metadata = import_all_tables().metadata
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    settings = load_settings(home=home, timezone="Europe/London")
    registry = discover(["local"])
    registry.start(IntegrationEnv(settings=settings, database=database, clock=lambda: NOW))
    app = assemble(settings, database, registry, load_policy(settings.resolved_policy_file), RulePlanner(),
                   clock=lambda: NOW)
    await seed(database, NOW.date(), "Europe/London")
    return app


async def _fill(app: Deputy, count: int, rnd: random.Random) -> float:
    t0 = time.perf_counter()
    rows = []
    for n in range(count):
        row = _memory(n, rnd)
        row["team_key"] = TEAM
        if row["scope"] == "person":
            row["scope_key"] = f"{TEAM}:u{rnd.randrange(200)}"
        rows.append(row)
    for text, kind, value in TAUGHT:
        rows.append({**_memory(0, rnd), "team_key": TEAM, "scope": "channel", "scope_key": CHANNEL,
                     "subject": text, "text": text, "kind": kind, "value": value, "valid_to": None,
                     "forgotten_at": None})
    for start in range(0, len(rows), 5000):
        async with app.database.engine.begin() as conn:
            await conn.execute(insert(TABLE), rows[start:start + 5000])
    return time.perf_counter() - t0


async def _timed(call: Callable[[], Awaitable[PlanningOutcome]]) -> tuple[float, PlanningOutcome]:
    t0 = time.perf_counter()
    outcome = await call()
    return (time.perf_counter() - t0) * 1000, outcome


def _said(outcome: PlanningOutcome) -> str:
    return outcome.summary if isinstance(outcome, PlanDraft) else type(outcome).__name__


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    rnd = random.Random(19)
    where = Where(platform="shell", team_id="local", channel_id=CHANNEL)
    with tempfile.TemporaryDirectory() as folder:
        app = await _build(args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder) / "home")
        fill_s = await _fill(app, args.count, rnd)
        asks = [(local_actor(rnd.choice(ASKERS), "Europe/London"), rnd.choice(GOALS)) for _ in range(args.goals)]
        on: list[float] = []
        off: list[float] = []
        changed = 0
        for n, (actor, goal) in enumerate([*asks[:20], *asks]):  # the first 20 warm caches and pools

            async def with_memory(actor: object = actor, goal: str = goal) -> PlanningOutcome:
                context = await planning_context(app, actor, where=where, goal=goal)  # type: ignore[arg-type]
                return await app.planner.plan(goal, context)

            async def without(actor: object = actor, goal: str = goal) -> PlanningOutcome:
                return await app.planner.plan(goal, await planning_context(app, actor))  # type: ignore[arg-type]

            first, second = (with_memory, without) if n % 2 else (without, with_memory)
            took_a, out_a = await _timed(first)
            took_b, out_b = await _timed(second)
            if n < 20:
                continue
            took_on, took_off = (took_a, took_b) if first is with_memory else (took_b, took_a)
            on.append(took_on)
            off.append(took_off)
            changed += _said(out_a) != _said(out_b)
        is_sqlite = app.database.is_sqlite
        await app.registry.aclose()
        await app.database.dispose()

    engine = "SQLite (file, WAL), FTS5" if is_sqlite else "PostgreSQL, tsvector + GIN"
    print(f"Command: `{' '.join(shlex.quote(a) for a in [sys.executable, '-m', 'bench.bench_memory_planning', *sys.argv[1:]])}`\n")
    print(f"Database: {engine}; {args.count:,} memories in the team (+{len(TAUGHT)} the goals use, filled in "
          f"{fill_s:.1f} s); rule planner; {args.goals} goals ({len(GOALS)} kinds, {len(ASKERS)} people), one run; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| planning (context + plan) | memory off | memory on | difference |")
    print("|---|---|---|---|")
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        a = statistics.median(off) if q == 0.5 else _percentile(off, q)
        b = statistics.median(on) if q == 0.5 else _percentile(on, q)
        print(f"| {name} | {a:.2f} ms | {b:.2f} ms | {b - a:+.2f} ms |")
    print(f"| plans that memory changed | — | {changed / len(on):.0%} | — |")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--goals", type=int, default=400)
    parser.add_argument("--database-url", default="", help="default: a SQLite file in a temp folder")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_arguments()))
