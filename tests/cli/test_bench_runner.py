"""`make bench` runs every benchmark and writes its figures as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run_all import BENCHMARKS, markdown_tables

# slow (runs a benchmark as a process): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_module_in_bench_is_run() -> None:
    """Every runnable bench module (one with a ``__main__`` guard; the others, such as
    bench_planner_goals, are parts a benchmark imports) is in ``make bench``."""
    modules = {f"bench.{p.stem}" for p in (ROOT / "bench").glob("bench_*.py")
               if 'if __name__ == "__main__":' in p.read_text()}
    assert {b.module for b in BENCHMARKS} == modules


def test_markdown_tables_become_rows() -> None:
    text = "intro\n\n| measure | value |\n|---|---:|\n| p50 | 2.1 ms |\n| p99 | 5.4 ms |\n\nafter\n"
    assert markdown_tables(text) == [[{"measure": "p50", "value": "2.1 ms"},
                                      {"measure": "p99", "value": "5.4 ms"}]]


def test_the_runner_writes_the_figures_of_a_benchmark(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bench.run_all", "--only", "planner", "--results", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "latest.json").read_text())
    [planner] = report["benchmarks"]
    assert planner["exit_status"] == 0
    summary = {row["measure"]: row for row in planner["tables"][0]}
    # the plan-first planner makes one model call per goal; the fair loop, calling independent steps
    # together, three on the mix (a round of calls per dependency level, then its answer)
    assert summary["model calls per goal"]["plan-first (ClaudePlanner)"] == "1.0"
    assert float(summary["model calls per goal"]["step-by-step (fair loop)"]) >= 3
    assert len(list(tmp_path.glob("2*.json"))) == 1
