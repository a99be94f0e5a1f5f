"""Idle memory of each Procfile process: resident set size once every process is ready.

    .venv/bin/python -m bench.bench_rss --idle 10

Starts every process of the repository's ``Procfile`` — read from the file, so a process
added there is measured here: today `web` (`deputy serve --platforms slack --no-worker
--no-scheduler --no-plan`), `planner` (`deputy planner run`), `discord`, `worker`,
`scheduler` — as separate OS processes on a throwaway PostgreSQL database, each with its
health port on 127.0.0.1 in place of the Procfile's ``--host``/``--port``, against the fake
Slack and fake Discord servers (each process checks both platforms for /readyz, so each has
loaded what posting needs), after `deputy demo seed`. It
waits until every /readyz answers 200, lets them sit idle for ``--idle`` seconds (the
scheduler loads its monitors, the worker polls), then reads VmRSS and VmHWM (the peak) of
each process from /proc, children included. The goal (issue 22): every process ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import signal
import sys
import tempfile
from pathlib import Path

import aiohttp

from bot.vault.keys import generate_key
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import USERS
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi
from tests.support import postgres
from tests.support.deputy_process import FOREIGN, free_port

DEPUTY = Path(sys.executable).parent / "deputy"
PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"
TOKEN = "xoxb-0000-rss-bench"
GOAL_MB = 150.0


def procfile_commands(text: str) -> dict[str, list[str]]:
    """Each Procfile process's ``deputy`` arguments, without its ``--host`` and ``--port``
    (the bench gives each a health port of its own on 127.0.0.1)."""
    commands: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, colon, command = line.partition(":")
        if not colon or line.lstrip().startswith("#"):
            continue
        words = shlex.split(command)
        if words[:1] != ["deputy"]:
            raise SystemExit(f"Procfile process {name.strip()!r} does not run deputy: {command.strip()}")
        args: list[str] = []
        rest = iter(words[1:])
        for word in rest:
            if word in ("--host", "--port"):
                next(rest, None)
            elif not word.startswith(("--host=", "--port=")):
                args.append(word)
        commands[name.strip()] = args
    return commands


def memory_kb(pid: int, field: str) -> int:
    """``field`` (VmRSS, VmHWM) of ``pid`` and of its children, in kB."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            total += int(line.split()[1])
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            total += memory_kb(int(child), field)
    return total


async def run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    process = await asyncio.create_subprocess_exec(*command, env=env, cwd=cwd,
                                                   stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out.decode()}")


async def all_ready(urls: dict[str, str], processes: dict[str, asyncio.subprocess.Process],
                    within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    async with aiohttp.ClientSession() as session:
        waiting = dict(urls)
        while waiting:
            for name, url in list(waiting.items()):
                if processes[name].returncode is not None:
                    raise SystemExit(f"{name} exited with {processes[name].returncode}")
                try:
                    async with session.get(url + "/readyz") as response:
                        if response.status == 200:
                            del waiting[name]
                except aiohttp.ClientConnectionError:
                    pass
            if asyncio.get_running_loop().time() > deadline:
                raise SystemExit(f"not ready within {within:.0f} s: {', '.join(waiting)}")
            await asyncio.sleep(0.3)


async def measure(url: str, tmp: Path, idle: float) -> dict[str, tuple[float, float]]:
    slack = await FakeSlackApi(users=dict(USERS), tokens={TOKEN}).start()
    discord = FakeDiscord()
    await discord.start()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)},
           "DEPUTY_DATABASE_URL": url, "DEPUTY_HOME": str(tmp / "home"),
           "DEPUTY_MASTER_KEY": generate_key("k1").entry(), "SLACK_BOT_TOKEN": TOKEN,
           "SLACK_SIGNING_SECRET": wire.SECRET, "DEPUTY_SLACK_API_URL": slack.base_url,
           "DISCORD_TOKEN": discord.token, "DEPUTY_DISCORD_API_URL": discord.api_url,
           "DEPUTY_DISCORD_GATEWAY_URL": discord.gateway_url}
    processes: dict[str, asyncio.subprocess.Process] = {}
    try:
        await run([str(DEPUTY), "db", "upgrade"], env, tmp)
        await run([str(DEPUTY), "demo", "seed"], env, tmp)
        urls = {}
        for name, args in procfile_commands(PROCFILE.read_text()).items():
            port = free_port()
            processes[name] = await asyncio.create_subprocess_exec(
                str(DEPUTY), *args, "--host", "127.0.0.1", "--port", str(port), env=env, cwd=tmp,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            urls[name] = f"http://127.0.0.1:{port}"
        await all_ready(urls, processes, within=180)
        await asyncio.sleep(idle)
        return {name: (memory_kb(p.pid, "VmRSS") / 1024, memory_kb(p.pid, "VmHWM") / 1024)
                for name, p in processes.items()}
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
        await slack.stop()
        await discord.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle after every process is ready")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, postgres.throwaway_database(postgres.server_url()) as url:
        figures = asyncio.run(measure(url, Path(folder), args.idle))
    load = os.getloadavg()[0]
    print(f"Idle memory of each Procfile process, {args.idle:.0f} s after all were ready, "
          f"load average {load:.2f}\n")
    print("| process | RSS MB | peak RSS MB | ≤ 150 MB |")
    print("|---|---|---|---|")
    for name, (rss, peak) in figures.items():
        print(f"| {name} | {rss:.1f} | {peak:.1f} | {'yes' if rss <= GOAL_MB else 'NO'} |")


if __name__ == "__main__":
    main()
