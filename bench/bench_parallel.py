"""Parallel execution: a fan-out against a slow provider, and the executor's own overhead.

1. Fan-out: one run that lists N items and writes each of them to a provider on 127.0.0.1
   (HTTP, ``--latency`` per request, 200 ms by default): wall time of the run (worker claim
   to run recorded), one item vs N items, one by one (``DEPUTY_PARALLEL_STEPS=1``) vs in
   parallel with the manifest's ``max_concurrency`` at its default (4) and at N. Each case
   runs once unmeasured first (a worker that has run before: SQL compiled, connections open).
2. Overhead: approved runs of 1, 10, 100 independent read steps, and of one ``for_each``
   write step over 1, 10, 100 items, against a no-op integration in-process, sequential vs
   parallel. Overhead = (run wall time − the time at least one integration call was under
   way) / calls; and, one by one, the gap between one call's end and the next one's start
   (p50/p99). Everything the worker does per step is in it: lease, approval check, step rows,
   audit records, card refresh. Also this process's CPU time per call (event loop and the
   SQLite driver's thread; not the PostgreSQL server's) and the SQL statements and commits
   per call, of the measured run (each case runs once before, to warm caches).

    .venv/bin/python -m bench.bench_parallel                    # SQLite file
    .venv/bin/python -m bench.bench_parallel --database-url postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python -m bench.bench_parallel --sizes 1,10 --repeats 1     # quick
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import SQLModel

from bot.adapters.shell.port import TextPort
from bot.app import assemble
from bot.domain import Actor, PlanDraft, Step
from bot.execution.worker import Worker, settle_heap
from bot.planning.rules import RulePlanner
from bot.policy import load_policy
from bot.registry import IntegrationEnv
from bot.registry.registry import Registry
from bot.sdk import ActionSet, CallContext, LoadedIntegration, Manifest
from bot.settings import load_settings
from bot.store.database import Database
from bot.store.goals import StepVerdict
from bot.store.schema import import_all_tables
from tests.core.provider import Provider, slowapi
from tests.support import postgres
from tests.support.approved import queue_approved

REQUESTER = Actor(platform="shell", team_id="local", user_id="bench", display_name="Bench")


class Busy:
    """The time at least one call of the no-op integration was under way, and call gaps."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.since = 0.0
        self.busy = 0.0
        self.spans: list[tuple[float, float]] = []

    async def call(self) -> None:
        start = time.perf_counter()
        if self.in_flight == 0:
            self.since = start
        self.in_flight += 1
        await asyncio.sleep(0)
        self.in_flight -= 1
        end = time.perf_counter()
        if self.in_flight == 0:
            self.busy += end - self.since
        self.spans.append((start, end))


def noop(busy: Busy) -> LoadedIntegration:
    label = {"type": "object", "required": ["label"], "properties": {"label": {"type": "string"}}}
    manifest = Manifest.model_validate({
        "name": "noop", "description": "Answers at once (benchmark).", "idempotent_writes": True,
        "actions": [
            {"name": "list_items", "description": "COUNT items.", "effect": "read",
             "args": {"type": "object", "properties": {"count": {"type": "integer"}}}},
            {"name": "read", "description": "Read.", "effect": "read", "args": label},
            {"name": "send", "description": "Send.", "effect": "write", "args": label}]})
    actions = ActionSet("noop", client_factory=lambda env: busy)

    @actions.action("list_items")
    async def list_items(client: Busy, ctx: CallContext, *, count: int) -> dict[str, Any]:
        return {"items": [{"label": f"item-{i}"} for i in range(count)]}

    @actions.action("read")
    async def read(client: Busy, ctx: CallContext, *, label: str) -> dict[str, Any]:
        await client.call()
        return {"label": label}

    @actions.action("send")
    async def send(client: Busy, ctx: CallContext, *, label: str) -> dict[str, Any]:
        await client.call()
        return {"sent": label}

    return LoadedIntegration(manifest=manifest, actions=actions)


def reads(integration: str, count: int) -> PlanDraft:
    return PlanDraft(summary=f"{count} reads", steps=[
        Step(id=f"s{i}", action=f"{integration}.read", args={"label": f"r{i}"}) for i in range(1, count + 1)])


def fan_out(integration: str, count: int) -> PlanDraft:
    return PlanDraft(summary=f"fan-out of {count}", steps=[
        Step(id="s1", action=f"{integration}.list_items", args={"count": count}),
        Step(id="s2", action=f"{integration}.send", args={"label": {"$ref": "item.label"}}, for_each="s1.items")])


async def queue(db: Database, draft: PlanDraft, registry: Registry, n: int) -> None:
    """An approved run of ``draft``, as the approval flow leaves it."""
    verdicts = [StepVerdict(effect=spec.effect.value, verdict="allow", reason="bench", rule="bench")
                for s in draft.steps if (spec := registry.spec(s.action)) is not None]
    await queue_approved(db, REQUESTER, draft, verdicts, channel="bench", message_id=f"bench-{n}-{time.monotonic_ns()}")


class Counts:
    """SQL statements and commits on ``db``'s engine while a run executes."""

    def __init__(self, db: Database) -> None:
        self.statements = self.commits = 0
        self._engine = db.engine.sync_engine

    def _statement(self, *args: Any) -> None:
        self.statements += 1

    def _commit(self, *args: Any) -> None:
        self.commits += 1

    def __enter__(self) -> Counts:
        event.listen(self._engine, "before_cursor_execute", self._statement)
        event.listen(self._engine, "commit", self._commit)
        return self

    def __exit__(self, *args: Any) -> None:
        event.remove(self._engine, "before_cursor_execute", self._statement)
        event.remove(self._engine, "commit", self._commit)


async def timed_run(app: Any, db: Database, draft: PlanDraft, n: int,
                    counts: Counts | None = None) -> tuple[float, float]:
    """Wall time and this process's CPU time (the event loop and the driver's thread) of one
    run, from the claim to the run recorded and reported."""
    await queue(db, draft, app.registry, n)
    started, cpu = time.perf_counter(), time.process_time()
    if counts is None:
        assert await Worker(app, "bench").run_once()
    else:
        with counts:
            assert await Worker(app, "bench").run_once()
    return time.perf_counter() - started, time.process_time() - cpu


async def build(url: str, loaded: LoadedIntegration, parallel_steps: int) -> tuple[Any, Database]:
    db = Database(url)
    home = Path(tempfile.mkdtemp())
    settings = load_settings(home=home, database_url=url.replace("+asyncpg", ""), parallel_steps=parallel_steps,
                             step_timeout_seconds=30, log_level="ERROR")
    registry = Registry([loaded])
    registry.start(IntegrationEnv(settings=settings, database=db, clock=None))
    app = assemble(settings, db, registry, load_policy(settings.resolved_policy_file), RulePlanner())
    app.attach(TextPort(lambda text, tone: None))  # the card is drawn as for the shell, and dropped
    settle_heap()  # as a worker process does when its loop starts (Worker.run_forever)
    return app, db


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def fan_out_figures(url: str, items: int, latency: float, repeats: int) -> list[dict[str, Any]]:
    provider = Provider(latency=latency)
    await provider.start()
    cases = [("1 item", 1, 8, 4), (f"{items} items, one by one", items, 1, 4),
             (f"{items} items, parallel, max_concurrency 4", items, 8, 4),
             (f"{items} items, parallel, max_concurrency {items}", items, 8, items)]
    rows = []
    try:
        for name, count, steps, limit in cases:
            app, db = await build(url, slowapi(provider, max_concurrency=limit), steps)
            await timed_run(app, db, fan_out("slowapi", count), -1)  # warm, as a running worker is
            walls = [(await timed_run(app, db, fan_out("slowapi", count), n))[0] for n in range(repeats)]
            await db.dispose()
            rows.append({"case": name, "items": count, "wall": median(walls), "walls": walls})
    finally:
        await provider.stop()
    return rows


async def overhead_figures(url: str, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    rows = []
    for shape in ("steps", "items"):
        for size in sizes:
            for mode, steps in (("sequential", 1), ("parallel", 8)):
                walls, per_call, cpus, gaps = [], [], [], []
                counts: Counts | None = None
                for n in range(repeats):
                    busy = Busy()
                    app, db = await build(url, noop(busy), steps)
                    draft = reads("noop", size) if shape == "steps" else fan_out("noop", size)
                    await timed_run(app, db, draft, -1 - n)  # warm: first statements compiled
                    busy.busy, busy.spans = 0.0, []  # the measured run's calls only
                    counts = Counts(db)
                    wall, cpu = await timed_run(app, db, draft, n, counts)
                    await db.dispose()
                    walls.append(wall)
                    cpus.append(cpu / size)
                    per_call.append((wall - busy.busy) / size)
                    spans = sorted(busy.spans)
                    gaps += [b[0] - a[1] for a, b in zip(spans, spans[1:], strict=False)]
                rows.append({"shape": shape, "size": size, "mode": mode, "wall": median(walls),
                             "per_call": median(per_call), "cpu": median(cpus),
                             "statements": counts.statements / size if counts else 0,
                             "commits": counts.commits / size if counts else 0, "gap_p50": pct(gaps, .5) if mode == "sequential" else None,
                             "gap_p99": pct(gaps, .99) if mode == "sequential" else None})
    return rows


def ms(seconds: float | None) -> str:
    return "–" if seconds is None or seconds != seconds else f"{seconds * 1000:.1f} ms"


def tables(fan: list[dict[str, Any]], over: list[dict[str, Any]], latency: float, backend: str) -> str:
    one = fan[0]["wall"]
    lines = [f"Fan-out against a provider with {latency * 1000:.0f} ms latency ({backend}; median run wall time)", "",
             "| case | run wall time | × one item's run | × the latency |", "|---|---:|---:|---:|"]
    lines += [f"| {r['case']} | {ms(r['wall'])} | {r['wall'] / one:.2f} | {r['wall'] / latency:.2f} |" for r in fan]
    lines += ["", f"Executor overhead per call, the integration's own time subtracted ({backend})", "",
              "| shape | calls | mode | run wall time | overhead per call | CPU per call | "
              "SQL statements / commits per call | gap between calls p50 | p99 |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {'independent read steps' if r['shape'] == 'steps' else 'for-each items (one write step)'} | "
              f"{r['size']} | {r['mode']} | {ms(r['wall'])} | {ms(r['per_call'])} | {ms(r['cpu'])} | "
              f"{r['statements']:.1f} / {r['commits']:.1f} | {ms(r['gap_p50'])} | "
              f"{ms(r['gap_p99'])} |" for r in over]
    return "\n".join(lines)


async def run(url: str, args: argparse.Namespace) -> str:
    import_all_tables()
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    await db.dispose()
    fan = await fan_out_figures(url, args.items, args.latency, args.repeats)
    over = await overhead_figures(url, [int(s) for s in args.sizes.split(",")], args.repeats)
    return tables(fan, over, args.latency, "PostgreSQL" if url.startswith("postgresql") else "SQLite")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10, help="items of the fan-out")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per provider request")
    parser.add_argument("--sizes", default="1,10,100", help="steps / items of the overhead runs")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case (the median is shown)")
    parser.add_argument("--database-url", default="", help="PostgreSQL admin URL; a throwaway database is used")
    args = parser.parse_args()
    print(f"`python -m bench.bench_parallel {' '.join(sys.argv[1:])}`".replace("  ", " "), "\n")
    if args.database_url:
        with postgres.throwaway_database(args.database_url) as url:
            print(asyncio.run(run(url, args)))
    else:
        print(asyncio.run(run(f"sqlite:///{Path(tempfile.mkdtemp()) / 'deputy.db'}", args)))


if __name__ == "__main__":
    main()
