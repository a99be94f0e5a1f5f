"""Run every benchmark in bench/ with small defaults and write their figures as JSON.

    .venv/bin/python -m bench.run_all                 # or: make bench
    .venv/bin/python -m bench.run_all --only vault --results /tmp/figures

Each benchmark runs as its own process, exactly as its docstring's command would, with
arguments small enough for the whole set to finish in a few minutes (the full-size
commands, and their figures, are in docs/benchmarks.md). The markdown tables a benchmark
prints are parsed into rows ({column: cell}), so the JSON holds the same figures the
tables show. Written to bench/results/<UTC time>.json and bench/results/latest.json
(git-ignored); a failed benchmark is recorded with its output and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Bench:
    name: str
    module: str
    small: tuple[str, ...]  # arguments of the quick run
    timeout: float


BENCHMARKS = [
    Bench("planner", "bench.bench_planner", (), 300),
    Bench("vault", "bench.bench_vault", ("--count", "1000", "--gets", "500"), 300),
    Bench("slack_ack", "bench.bench_slack_ack", ("--rate", "50", "--seconds", "4", "--delay", "0.5"), 300),
    Bench("slack_serve", "bench.bench_slack_serve",
          ("--rates", "50,200", "--seconds", "2", "--cards", "10", "--card-rate", "5", "--repeat", "2"), 1500),
    Bench("discord_serve", "bench.bench_discord_serve", ("--rates", "0,20", "--seconds", "3", "--probe-rate", "5"), 600),
    Bench("planners", "bench.bench_planners", ("--planners", "1,2", "--goals", "40", "--rate", "100"), 900),
    Bench("scheduler", "bench.bench_scheduler", ("--monitors", "500", "--period", "10", "--head-start", "20"), 300),
    Bench("startup", "bench.bench_startup", ("--runs", "3"), 300),
    Bench("memory", "bench.bench_memory", ("--count", "10000", "--queries", "300"), 300),
    Bench("memory_planning", "bench.bench_memory_planning", ("--count", "2000", "--goals", "100"), 300),
    Bench("parallel", "bench.bench_parallel", ("--sizes", "1,10", "--repeats", "1"), 300),
    Bench("rss", "bench.bench_rss", ("--idle", "5"), 400),
    Bench("workers", "bench.bench_workers", ("--runs", "40", "--workers", "1,2,4"), 600),
    Bench("teams", "bench.bench_teams", ("--small", "2", "--large", "20", "--samples", "200",
                                         "--database-url", "postgresql://postgres@127.0.0.1/bench_teams_small"), 300),
    Bench("console", "bench.bench_console", ("--runs", "500", "--audit", "5000", "--repeat", "5"), 300),
]


def markdown_tables(text: str) -> list[list[dict[str, str]]]:
    """Every pipe table in ``text`` as a list of rows keyed by the header's cells."""
    tables: list[list[dict[str, str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        row = lines[i].strip()
        divider = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if row.startswith("|") and divider.startswith("|") and set(divider) <= set("|-: "):
            header = _cells(row)
            body: list[dict[str, str]] = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                body.append(dict(zip(header, _cells(lines[i]), strict=False)))
                i += 1
            tables.append(body)
        else:
            i += 1
    return tables


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def run_one(bench: Bench, extra_env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", bench.module, *bench.small]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=bench.timeout,
                              env={**os.environ, **extra_env}, check=False)
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as timeout:
        code, out = -1, str(timeout.stdout or "")
        err = f"timed out after {bench.timeout:.0f} s"
    return {
        "name": bench.name,
        "command": "python -m " + " ".join([bench.module, *bench.small]),
        "seconds": round(time.monotonic() - started, 1),
        "exit_status": code,
        "tables": markdown_tables(out),
        "output": out,
        "errors": err.strip()[-4000:] if code else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=[b.name for b in BENCHMARKS],
                        help="run only this benchmark (repeatable)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON files")
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    started = datetime.now(UTC)
    results = []
    for bench in chosen:
        print(f"→ {bench.name}: python -m {bench.module} {' '.join(bench.small)}", flush=True)
        result = run_one(bench, {"PYTHONPATH": str(ROOT)})
        results.append(result)
        status = "ok" if result["exit_status"] == 0 else f"FAILED ({result['exit_status']})"
        print(f"  {status} in {result['seconds']} s", flush=True)
        print(result["output"] if result["exit_status"] == 0 else result["errors"], flush=True)
    report = {
        "started": started.isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_average": list(os.getloadavg())},
        "benchmarks": results,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    stamped = args.results / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    for path in (stamped, args.results / "latest.json"):
        path.write_text(text)
    print(f"figures: {stamped} (and latest.json beside it)")
    return 0 if all(r["exit_status"] == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
