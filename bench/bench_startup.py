"""How fast the ``deputy`` command starts: wall clock and the imports that cost the most.

    .venv/bin/python -m bench.bench_startup --runs 3 --top 12

Each figure is a fresh process against a fresh embedded home (created once, before timing,
by a ``deputy shell`` that quits at once): ``deputy --help``; ``deputy runs list``; and
``deputy shell`` on a pseudo-terminal, timed from the spawn to the first ``you>`` prompt
on the screen (what a person waits for), to its answer to ``help`` typed the moment the
prompt appears (the next prompt after it: on a terminal the shell builds the app while the
person types; ``help`` needs none of it and is answered at once), and to its answer to a goal
typed the moment the prompt appears (which waits for the app, the flow and the planner).
Min/median/max of ``--runs`` runs, and the median CPU time (user + system) of the process, steadier than the wall clock when the machine is
busy: for the shell both its CPU time when the prompt appeared (read from /proc, 10 ms
ticks) and its whole CPU time, which includes what it loads while the person types the first
line, and quitting. The import tables are ``python -X importtime`` of ``deputy runs list``
and of ``deputy shell`` up to its first prompt, summed by top-level package, one run each, so
noisy on a busy machine.

``--against DIR`` times only the shell, alternating run by run between this checkout and the
one at DIR (e.g. a clone at the commit before a change), so both see the same load.
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
# a goal typed at once waits for everything (the app, the flow, the planner, a run); `help`
# is answered while the app is still being built (bot/adapters/shell/terminal.py)
GOAL = b"what's overdue?\n"


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


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) ``pid`` has used so far, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def shell_to_prompt(env: dict[str, str], timeout: float = 60.0, cwd: Path | None = None,
                    line: bytes = b"help\n") -> tuple[float, float, float]:
    """Seconds from spawning ``deputy shell`` on a pty to its first prompt, its CPU seconds
    then, and seconds from the spawn to its answer to ``line`` (``help``, or a goal), typed as
    soon as the prompt appeared (the prompt that follows the answer); then quit."""
    controller, terminal = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", ENTRY, "shell"], env={**env, "TERM": "dumb"}, cwd=cwd,
                               stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    seen = b""
    elapsed: float | None = None
    answered: float | None = None
    cpu = 0.0
    try:
        while answered is None and time.perf_counter() - started < timeout:
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
            if elapsed is None and PROMPT in seen:
                elapsed = time.perf_counter() - started
                cpu = process_cpu(process.pid)
                os.write(controller, line)
            elif elapsed is not None and seen.count(PROMPT) >= 2:
                answered = time.perf_counter() - started
                os.write(controller, b"quit\n")
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    if elapsed is None or answered is None:
        raise SystemExit(f"deputy shell showed no prompt, or did not answer {line!r}, within {timeout:.0f} s:\n"
                         f"{seen.decode(errors='replace')}")
    return elapsed, cpu, answered


def by_package(importtime: str, top: int) -> tuple[float, list[tuple[str, float]]]:
    """Total import ms in ``-X importtime`` output, and the costliest packages: each module's
    own time summed by its top-level package (``sqlalchemy.orm.x`` counts for ``sqlalchemy``)."""
    sums: dict[str, float] = {}
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own_cell, _, module = line.split("|")
        package = module.strip().split(".")[0]
        sums[package] = sums.get(package, 0.0) + int(own_cell.split(":")[1]) / 1000
    ranked = sorted(sums.items(), key=lambda item: item[1], reverse=True)
    return sum(sums.values()), ranked[:top]


def import_table(env: dict[str, str], top: int) -> tuple[float, list[tuple[str, float]]]:
    """The imports of ``runs list`` (:func:`by_package`)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", ENTRY, "runs", "list"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    return by_package(done.stderr, top)


def shell_import_table(env: dict[str, str], top: int) -> tuple[float, list[tuple[str, float]]]:
    """The imports of ``deputy shell`` until its first prompt (not what it loads afterwards,
    while the person types)."""
    controller, terminal = pty.openpty()
    with tempfile.TemporaryFile() as log:
        # on a terminal, input() writes its prompt to stderr: here after the import lines
        process = subprocess.Popen([sys.executable, "-X", "importtime", "-c", ENTRY, "shell"],
                                   env={**env, "TERM": "dumb"}, stdin=terminal, stdout=terminal, stderr=log,
                                   close_fds=True)
        os.close(terminal)
        try:
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline and process.poll() is None:
                log.seek(0)
                logged = log.read()
                if PROMPT in logged:
                    return by_package(logged.partition(PROMPT)[0].decode(errors="replace"), top)
                time.sleep(0.05)
            raise SystemExit("deputy shell -X importtime showed no prompt within 60 s")
        finally:
            process.kill()
            process.wait()
            os.close(controller)


def print_imports(what: str, total: float, imports: list[tuple[str, float]]) -> None:
    print(f"\n`python -X importtime` of {what}: {total:.0f} ms of imports in all; "
          f"the {len(imports)} costliest packages\n")
    print("| package | import ms |")
    print("|---|---|")
    for package, ms in imports:
        print(f"| {package} | {ms:.1f} |")


def spread(samples: list[float]) -> str:
    return f"{min(samples):.2f} | {statistics.median(samples):.2f} | {max(samples):.2f}"


def compare(against: Path, runs: int) -> None:
    """The shell's figures for this checkout and ``against`` (another checkout, e.g. of the
    commit before a change), alternated run by run so that both see the same load: a child
    runs ``python -c`` in its checkout, whose folder comes first on its ``sys.path``."""
    trees = {"this checkout": Path.cwd(), str(against): against}
    samples: dict[str, list[tuple[float, ...]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as folder:
        envs = {name: clean_env(Path(folder) / f"home{i}") for i, name in enumerate(trees)}
        for name, tree in trees.items():
            subprocess.run([sys.executable, "-c", ENTRY, "shell"], env=envs[name], input=b"quit\n", cwd=tree,
                           capture_output=True, timeout=120, check=True)
        for _ in range(runs):
            for name, tree in trees.items():
                before = children_cpu()
                elapsed, cpu, answered = shell_to_prompt(envs[name], cwd=tree)
                samples[name].append((elapsed, cpu, answered, children_cpu() - before))
    print(f"`deputy shell`, {runs} runs of each checkout alternated, load average {os.getloadavg()[0]:.2f}\n")
    print("| checkout | first prompt: min / median / max s | CPU s at the prompt (median) | "
          "answer to `help` typed at the prompt: min / median / max s | CPU s (median) |")
    print("|---|---|---|---|---|")
    for name, rows in samples.items():
        prompt, at_prompt, answer, total = (list(column) for column in zip(*rows, strict=True))
        print(f"| {name} | {spread(prompt).replace(' |', ' /')} | {statistics.median(at_prompt):.2f} | "
              f"{spread(answer).replace(' |', ' /')} | {statistics.median(total):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout: time only the shell, alternating with it run by run")
    args = parser.parse_args()
    if args.against is not None:
        compare(args.against.resolve(), args.runs)
        return
    with tempfile.TemporaryDirectory() as folder:
        env = clean_env(Path(folder) / "home")
        # create the home (database, migrations, master key) outside the timing
        subprocess.run([sys.executable, "-c", ENTRY, "shell"], env=env, input=b"quit\n",
                       capture_output=True, timeout=120, check=True)
        commands: dict[str, Callable[[], float]] = {
            "deputy --help": lambda: run_command(["--help"], env),
            "deputy runs list": lambda: run_command(["runs", "list"], env),
        }
        figures: dict[str, tuple[list[float], list[float]]] = {}
        for name, command in commands.items():
            walls, cpus = [], []
            for _ in range(args.runs):
                before = children_cpu()
                walls.append(command())
                cpus.append(children_cpu() - before)
            figures[name] = walls, cpus
        shell: tuple[list[float], list[float], list[float], list[float]] = ([], [], [], [])
        goal: list[float] = []
        for _ in range(args.runs):
            before = children_cpu()
            elapsed, cpu, answered = shell_to_prompt(env)
            for samples, value in zip(shell, (elapsed, cpu, children_cpu() - before, answered), strict=True):
                samples.append(value)
            goal.append(shell_to_prompt(env, line=GOAL)[2])
        runs_list = import_table(env, args.top)
        shell_imports = shell_import_table(env, args.top)
    print(f"Start-up, {args.runs} runs each, load average {os.getloadavg()[0]:.2f}\n")
    print("| command | min s | median s | max s | CPU s at the prompt (median) | CPU s (median) |")
    print("|---|---|---|---|---|---|")
    for name, (walls, cpus) in figures.items():
        print(f"| {name} | {spread(walls)} | – | {statistics.median(cpus):.2f} |")
    print(f"| deputy shell → first prompt | {spread(shell[0])} | {statistics.median(shell[1]):.2f} | "
          f"{statistics.median(shell[2]):.2f} |")
    print(f"| deputy shell → answer to `help` typed at the prompt | {spread(shell[3])} | – | – |")
    print(f"| deputy shell → answer to a goal typed at the prompt (`{GOAL.decode().strip()}`) | {spread(goal)} | – | – |")
    print_imports("`deputy runs list`", *runs_list)
    print_imports("`deputy shell` to its first prompt", *shell_imports)


if __name__ == "__main__":
    main()
