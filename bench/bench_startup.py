"""How fast the ``deputy`` command starts: wall clock and the imports that cost the most.

    .venv/bin/python -m bench.bench_startup --runs 3 --top 12

Each figure is a fresh process against a fresh embedded home (created once, before timing,
by a ``deputy shell`` that quits at once): ``deputy --help``; ``deputy runs list``; and
``deputy shell`` on a pseudo-terminal, timed from the spawn to the first ``you>`` prompt
on the screen (what a person waits for; its CPU figure includes quitting). Min/median/max of ``--runs`` runs, and the
median CPU time (user + system) of the process, steadier than the wall clock when the
machine is busy. The import
table is ``python -X importtime`` of ``deputy runs list``, summed by top-level package, one
run, so noisy on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import pty
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ENTRY = "from bot.cli import main; main()"
PROMPT = b"you> "


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEPUTY_", "ANTHROPIC_"))}
    env["DEPUTY_HOME"] = str(home)
    # any non-empty value (even "0") stops Python writing .pyc files, and every start would then
    # compile Deputy's sources again: a user's install writes them once, so the bench must too
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", ENTRY, *args], env=env, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"deputy {' '.join(args)} failed ({done.returncode}):\n{done.stderr.decode()}")
    return elapsed


def shell_to_prompt(env: dict[str, str], timeout: float = 60.0) -> float:
    """Seconds from spawning ``deputy shell`` on a pty to its first prompt, then quit."""
    controller, terminal = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", ENTRY, "shell"], env={**env, "TERM": "dumb"},
                               stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    seen = b""
    elapsed: float | None = None
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            seen += chunk
            if PROMPT in seen:
                elapsed = time.perf_counter() - started
                os.write(controller, b"quit\n")
                break
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    if elapsed is None:
        raise SystemExit(f"deputy shell showed no prompt within {timeout:.0f} s:\n{seen.decode(errors='replace')}")
    return elapsed


def import_table(env: dict[str, str], top: int) -> tuple[float, list[tuple[str, float]]]:
    """Total import ms of ``runs list``, and the costliest packages: each module's own time
    summed by its top-level package (``sqlalchemy.orm.x`` counts for ``sqlalchemy``)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", ENTRY, "runs", "list"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    by_package: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own_cell, _, module = line.split("|")
        package = module.strip().split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + int(own_cell.split(":")[1]) / 1000
    ranked = sorted(by_package.items(), key=lambda item: item[1], reverse=True)
    return sum(by_package.values()), ranked[:top]


def spread(samples: list[float]) -> str:
    return f"{min(samples):.2f} | {statistics.median(samples):.2f} | {max(samples):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = clean_env(Path(folder) / "home")
        # create the home (database, migrations, master key) outside the timing
        subprocess.run([sys.executable, "-c", ENTRY, "shell"], env=env, input=b"quit\n",
                       capture_output=True, timeout=120, check=True)
        commands: dict[str, Callable[[], float]] = {
            "deputy --help": lambda: run_command(["--help"], env),
            "deputy runs list": lambda: run_command(["runs", "list"], env),
            "deputy shell → first prompt": lambda: shell_to_prompt(env),
        }
        figures: dict[str, tuple[list[float], list[float]]] = {}
        for name, command in commands.items():
            walls, cpus = [], []
            for _ in range(args.runs):
                before = children_cpu()
                walls.append(command())
                cpus.append(children_cpu() - before)
            figures[name] = walls, cpus
        total, imports = import_table(env, args.top)
    print(f"Start-up, {args.runs} runs each, load average {os.getloadavg()[0]:.2f}\n")
    print("| command | min s | median s | max s | CPU s (median) |")
    print("|---|---|---|---|---|")
    for name, (walls, cpus) in figures.items():
        print(f"| {name} | {spread(walls)} | {statistics.median(cpus):.2f} |")
    print(f"\n`python -X importtime` of `deputy runs list`: {total:.0f} ms of imports in all; "
          f"the {args.top} costliest packages\n")
    print("| package | import ms |")
    print("|---|---|")
    for package, ms in imports:
        print(f"| {package} | {ms:.1f} |")


if __name__ == "__main__":
    main()
