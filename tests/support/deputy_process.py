"""The one way tests and benchmarks start a `deputy` process of their own (as an operator
would, configured only through the environment): a one-shot command (`deputy db upgrade`,
`deputy demo seed`, ...) that must succeed, or a long-running one (`serve`, `planner run`,
`worker`, ...) with its output in a log file, waited on until its /healthz answers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

# the console script pip installed next to this interpreter: what an operator runs
DEPUTY = Path(sys.executable).parent / "deputy"
# settings of the developer's shell must not leak into the process under test
FOREIGN = ("DEPUTY_", "SLACK_", "DISCORD_", "ANTHROPIC_")


def clean_environ() -> dict[str, str]:
    """This process's environment minus the developer's Deputy/Slack/Discord/Anthropic settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}


async def deputy_once(*args: str, env: dict[str, str], cwd: Path | None = None) -> str:
    """Run ``deputy *args`` to its end with exactly ``env``; what it printed (stdout and
    stderr). A non-zero exit fails the caller with that output."""
    process = await asyncio.create_subprocess_exec(
        str(DEPUTY), *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    said = out.decode(errors="replace")
    assert process.returncode == 0, f"deputy {' '.join(args)} exited with {process.returncode}:\n{said}"
    return said


async def upgraded_home(home: Path, env: dict[str, str]) -> None:
    """``deputy db upgrade`` for ``home`` (created) and ``env`` (on top of :func:`clean_environ`):
    the schema made once, before processes sharing the database start and could race to."""
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    await deputy_once("db", "upgrade", env={**clean_environ(), "DEPUTY_HOME": str(home), **env}, cwd=home.parent)


async def spawn(*args: str, env: dict[str, str], cwd: Path, log: Path) -> asyncio.subprocess.Process:
    """Start ``deputy *args`` with exactly ``env``, its stdout and stderr going to ``log`` (a
    file, not a pipe a busy child could fill while nobody reads it)."""
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(str(DEPUTY), *args, env=env, cwd=cwd, stdout=out,
                                                    stderr=asyncio.subprocess.STDOUT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    process: asyncio.subprocess.Process
    log: Path

    async def output(self) -> str:
        """What the process printed (its log lines)."""
        return await asyncio.to_thread(self.log.read_text)

    async def stop(self, within: float = 120.0) -> int:
        """SIGTERM, as a process manager would; the exit code. ``within``: only a bound for a
        process that never exits (a stop takes well under a second of its CPU); on a loaded
        machine it may take a while."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            raise AssertionError(f"deputy (pid {self.process.pid}) had not exited {within} s after SIGTERM "
                                 f"(load average {_load()}); it said:\n{(await self.output())[-3000:]}") from None


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) process ``pid`` has used so far; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()  # after the command's name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# A start takes a few seconds of the process's own CPU (~2 s: imports, the app, the database)
# however loaded the machine is, while its wall time grows with the load (90 s were exceeded at
# load 13-16). So the process is waited on until it answers, dies, or has spent CPU_BUDGET of
# its own CPU without answering (a start gone wrong: a loop); WALL_BUDGET only ends a wait for
# a process that hangs without using CPU, and is far above any start seen.
CPU_BUDGET = 60.0
WALL_BUDGET = 600.0


async def wait_healthy(url: str, process: asyncio.subprocess.Process, log: Path,
                       within: float = WALL_BUDGET, cpu_within: float = CPU_BUDGET) -> None:
    """Return once ``url``/healthz answers 200; fail, with what the process said, if it exits
    first, or spends ``cpu_within`` seconds of its CPU, or ``within`` seconds pass, first."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    last = "no answer yet"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        while True:
            if process.returncode is not None:
                said = await asyncio.to_thread(log.read_text)
                raise AssertionError(f"deputy (pid {process.pid}) exited with {process.returncode} before "
                                     f"{url}/healthz answered:\n{said}")
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
                    last = f"status {response.status}"
            except (aiohttp.ClientError, TimeoutError) as err:
                last = f"{type(err).__name__}: {err}"
            cpu, waited = cpu_seconds(process.pid), loop.time() - started
            if cpu > cpu_within or waited > within:
                said = await asyncio.to_thread(log.read_text)
                raise AssertionError(
                    f"deputy (pid {process.pid}) was not healthy: {url}/healthz had not answered 200 "
                    f"(last: {last}) after {cpu:.1f} s of the process's CPU (budget {cpu_within:.0f} s) "
                    f"and {waited:.0f} s of wall time (budget {within:.0f} s), load average {_load()}; "
                    f"it said:\n{said}")
            await asyncio.sleep(0.1)


@asynccontextmanager
async def deputy_serve(home: Path, env: dict[str, str], within: float = 90.0,
                       command: tuple[str, ...] = ("serve",), name: str = "") -> AsyncIterator[Served]:
    """``deputy serve`` (or ``command``: another process with a health port, e.g. ``planner``);
    ``name`` its log file's, when several run the same command. Yields once it is healthy
    (:func:`wait_healthy`; ``within``: its wall-time bound); killed at the end if still running."""
    port = free_port()
    log = home.parent / f"{name or '-'.join(c for c in command[:2] if not c.startswith('-'))}.log"
    home.parent.mkdir(parents=True, exist_ok=True)
    process = await spawn(*command, "--host", "127.0.0.1", "--port", str(port),
                          env={**clean_environ(), "DEPUTY_HOME": str(home), **env}, cwd=home.parent, log=log)
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        await wait_healthy(served.url, process, log, within)
        yield served
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
