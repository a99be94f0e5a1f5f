"""Kills `deputy worker` processes with SIGKILL at seeded random times while they execute
approved runs, restarts them, and measures what the outside world saw.

Figures: crash points tried (kills, and how many interrupted a run between steps or inside a
step), effects lost and duplicated (per idempotency key), how every run ended, and recovery
time (from a kill until another worker holds or has finished each run the dead one held).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.execution.executor import idempotency_key
from bot.store.database import Database
from tests.reliability.effects_ledger import IDEMPOTENT, PLAIN
from tests.reliability.queueing import IDEMPOTENT_INTEGRATIONS, QueuedRun

ROOT = Path(__file__).resolve().parents[2]
INTEGRATIONS = Path(__file__).resolve().parent / "integrations"
TERMINAL = ("succeeded", "failed")


@dataclass
class CrashConfig:
    runs: int = 24
    workers: int = 3
    kills: int = 8
    seed: int = 11
    lease_seconds: float = 1.5
    kill_gap: tuple[float, float] = (0.3, 1.0)
    deadline_seconds: float = 50.0


@dataclass
class CrashReport:
    runs: int = 0
    kills: int = 0
    kills_mid_step: int = 0
    kills_between_steps: int = 0
    kills_idle: int = 0
    succeeded: int = 0
    failed: int = 0
    failed_without_reason: int = 0
    unfinished: int = 0
    expected_effects: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    resends: int = 0
    recovery_seconds: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0
    failure_reasons: dict[str, int] = field(default_factory=dict)
    # every run that ended as it must not, each with why: the check is per run, so a failed
    # run is never hidden behind another that succeeded
    bad_runs: list[str] = field(default_factory=list)
    runs_by_integration: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        rec = sorted(self.recovery_seconds)
        worst = f"{rec[-1]:.2f}" if rec else "-"
        median = f"{rec[len(rec) // 2]:.2f}" if rec else "-"
        return (f"{self.runs} runs, {self.kills} SIGKILLs ({self.kills_mid_step} inside a step, "
                f"{self.kills_between_steps} between steps, {self.kills_idle} idle); "
                f"{self.succeeded} succeeded, {self.failed} failed, {self.unfinished} unfinished, "
                f"{len(self.bad_runs)} ended as they must not; "
                f"{self.expected_effects} effects expected, {len(self.lost)} lost, "
                f"{len(self.duplicated)} duplicated, {self.resends} deduplicated re-sends; "
                f"recovery median {median} s, worst {worst} s; wall {self.wall_seconds:.1f} s")


def worker_command() -> list[str]:
    script = Path(sys.executable).parent / "deputy"
    if script.exists():
        return [str(script), "worker"]
    return [sys.executable, "-c", "from bot.cli import main; main()", "worker"]


def worker_env(database_url: str, home: Path, lease_seconds: float,
               extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DEPUTY_", "ANTHROPIC_"))}
    env.update({
        "PYTHONPATH": str(ROOT), "DEPUTY_HOME": str(home), "DEPUTY_DATABASE_URL": database_url,
        "DEPUTY_INTEGRATIONS": '["recorder", "plainrecorder"]',
        "DEPUTY_INTEGRATION_PATHS": f'["{INTEGRATIONS}"]',
        "DEPUTY_RUN_LEASE_SECONDS": str(lease_seconds), "DEPUTY_WORKER_POLL_SECONDS": "0.05",
        "DEPUTY_RETRY_BASE_SECONDS": "0.01", "DEPUTY_STEP_TIMEOUT_SECONDS": "5",
        "DEPUTY_LOG_LEVEL": "WARNING",
    })
    env.update(extra or {})
    return env


class WorkerPool:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: list[asyncio.subprocess.Process] = []
        self._started = 0

    async def start(self) -> asyncio.subprocess.Process:
        self._started += 1
        log = (self.logs / f"worker-{self._started}.log").open("wb")
        proc = await asyncio.create_subprocess_exec(
            *worker_command(), env=self.env, cwd=str(self.logs), stdout=log, stderr=log)
        log.close()  # the child holds its own descriptor
        self.procs.append(proc)
        return proc

    def alive(self) -> list[asyncio.subprocess.Process]:
        return [p for p in self.procs if p.returncode is None]

    async def kill(self, proc: asyncio.subprocess.Process) -> None:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()

    async def stop_all(self) -> None:
        for proc in self.alive():
            await self.kill(proc)


async def _scalar_rows(db: Database, sql: str, **params: Any) -> list[Any]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def _held_by(db: Database, pid: int) -> tuple[list[int], bool]:
    """Runs the worker with this pid holds, and whether it was inside a step."""
    rows = await _scalar_rows(db, "SELECT id FROM runs WHERE status = 'running' AND claimed_by LIKE :p",
                              p=f"%:{pid}:%")
    held = [r[0] for r in rows]
    if not held:
        return [], False
    started = await _scalar_rows(db, "SELECT count(*) FROM step_results WHERE status = 'started' "
                                     "AND run_id = ANY(:ids)", ids=held)
    return held, started[0][0] > 0


async def _busy_pids(db: Database) -> set[int]:
    return await _claimer_pids(db, "WHERE status = 'running'")


async def _claimer_pids(db: Database, where: str = "") -> set[int]:
    """Process ids of the workers that hold (or once held) runs; a worker id is host:pid:tag."""
    rows = await _scalar_rows(db, f"SELECT DISTINCT claimed_by FROM runs {where}")
    pids = set()
    for (claimed,) in rows:
        parts = (claimed or "").split(":")
        if len(parts) >= 3 and parts[-2].isdigit():
            pids.add(int(parts[-2]))
    return pids


async def _recovery(db: Database, pid: int, held: list[int], killed_at: float, out: list[float]) -> None:
    """Wait until no run the dead worker held is still claimed by it and unfinished."""
    while True:
        rows = await _scalar_rows(db, "SELECT count(*) FROM runs WHERE id = ANY(:ids) AND "
                                      "status = 'running' AND claimed_by LIKE :p", ids=held, p=f"%:{pid}:%")
        if rows[0][0] == 0:
            out.append(time.monotonic() - killed_at)
            return
        await asyncio.sleep(0.02)


async def _unfinished(db: Database) -> int:
    rows = await _scalar_rows(db, "SELECT count(*) FROM runs WHERE status NOT IN ('succeeded', 'failed')")
    return int(rows[0][0])


async def _any_busy(db: Database) -> bool:
    return bool(await _busy_pids(db))


async def _all_finished(db: Database) -> bool:
    return await _unfinished(db) == 0


async def _poll_until(done: Callable[[], Awaitable[bool]], deadline: float) -> None:
    """Another process changes the database, so there is no event to wait on: poll it."""
    while time.monotonic() < deadline:
        if await done():
            return
        await asyncio.sleep(0.05)


async def chaos(db: Database, pool: WorkerPool, config: CrashConfig, report: CrashReport) -> None:
    rng = random.Random(config.seed)
    start = time.monotonic()
    for _ in range(config.workers):
        await pool.start()
    # kills before any worker has started up would test nothing: wait for the first claim
    await _poll_until(lambda: _any_busy(db), start + config.deadline_seconds)
    watchers: list[asyncio.Task[None]] = []
    while report.kills < config.kills and time.monotonic() - start < config.deadline_seconds:
        await asyncio.sleep(rng.uniform(*config.kill_gap))
        if await _unfinished(db) == 0:
            break
        # rolling kills, as in a real outage of one machine: a worker dies only while another
        # one that has already started up (it claimed a run once) stays alive
        seen = await _claimer_pids(db)
        ready = [p for p in pool.alive() if p.pid in seen]
        if len(ready) < 2:
            continue
        busy = [p for p in ready if p.pid in await _busy_pids(db)]
        # mostly kill a worker in the middle of a run; sometimes an idle one
        choices = busy if busy and rng.random() < 0.85 else ready
        victim = choices[rng.randrange(len(choices))]
        held, mid_step = await _held_by(db, victim.pid)
        await pool.kill(victim)
        killed_at = time.monotonic()
        report.kills += 1
        if not held:
            report.kills_idle += 1
        elif mid_step:
            report.kills_mid_step += 1
        else:
            report.kills_between_steps += 1
        if held:
            watchers.append(asyncio.create_task(
                _recovery(db, victim.pid, held, killed_at, report.recovery_seconds)))
        await pool.start()
    await _poll_until(lambda: _all_finished(db), start + config.deadline_seconds)
    await pool.stop_all()
    for task in watchers:
        if not task.done():
            task.cancel()  # a run still held by a dead worker at the deadline: counted unfinished
    await asyncio.gather(*watchers, return_exceptions=True)
    report.wall_seconds = time.monotonic() - start


# how a run that could not tell whether a write happened ends (after a crash, or a timeout)
UNKNOWN_OUTCOME = ("cannot tell whether it happened", "may or may not have happened")


async def check_effects(db: Database, queued: list[QueuedRun], report: CrashReport,
                        labels: dict[str, dict[str, int]] | None = None) -> None:
    """Count every run's effects, run by run. ``labels``: for the real integrations, how many
    times the server stored each label (their stores know no idempotency key)."""
    report.runs = len(queued)
    runs = {r[0]: (r[1], r[2]) for r in await _scalar_rows(db, "SELECT id, status, error FROM runs")}
    effects: dict[str, int] = {}
    for key, count in await _scalar_rows(db, "SELECT key, count(*) FROM reliability_effects GROUP BY key"):
        effects[key] = int(count)
    steps_done = {(r[0], r[1]) for r in await _scalar_rows(
        db, "SELECT run_id, step_id FROM step_results WHERE status = 'succeeded'")}
    ledger_labels = await _scalar_rows(db, "SELECT label, count(DISTINCT key) FROM reliability_effects GROUP BY label")
    calls = await _scalar_rows(db, "SELECT count(*) FROM reliability_calls")
    report.resends = int(calls[0][0]) - sum(effects.values())
    for item in queued:
        status, error = runs[item.run_id]
        error = error or ""
        report.runs_by_integration[item.integration] = report.runs_by_integration.get(item.integration, 0) + 1
        where = f"run {item.run_id} ({item.integration})"
        if status == "succeeded":
            report.succeeded += 1
        elif status == "failed":
            report.failed += 1
            reason = error.split(":")[0][:60]
            report.failure_reasons[reason] = report.failure_reasons.get(reason, 0) + 1
            if not error:
                report.failed_without_reason += 1
            if item.integration in IDEMPOTENT_INTEGRATIONS:
                report.bad_runs.append(f"{where} failed, though its writes can be resent: {error[:160]}")
            elif not any(words in error for words in UNKNOWN_OUTCOME):
                report.bad_runs.append(f"{where} failed for another reason than an unknown outcome: {error[:160]}")
        else:
            report.unfinished += 1
            report.bad_runs.append(f"{where} is {status}")
        for step, index, label in item.writes():
            key = idempotency_key(item.run_id, step, None if index is None else int(index))
            if item.integration in (IDEMPOTENT, PLAIN):
                name, count = key, effects.get(key, 0)
            else:
                name, count = f"{item.integration} {label}", (labels or {}).get(item.integration, {}).get(label, 0)
            if status == "succeeded" or (item.run_id, step) in steps_done:
                report.expected_effects += 1
                if count == 0:
                    report.lost.append(name)
            if count > 1:
                report.duplicated.append(f"{name} ×{count}")
    # one logical write reached the world under two different keys: also a duplicate
    report.duplicated += [f"label {label} under {n} keys" for label, n in ledger_labels if n > 1]
