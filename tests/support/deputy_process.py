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

    async def stop(self, within: float = 10.0) -> int:
        """SIGTERM, as a process manager would; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), within)


async def wait_healthy(url: str, process: asyncio.subprocess.Process, log: Path, within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    async with aiohttp.ClientSession() as session:
        while True:
            if process.returncode is not None:
                said = await asyncio.to_thread(log.read_text)
                raise AssertionError(f"deputy serve exited with {process.returncode}:\n{said}")
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                said = await asyncio.to_thread(log.read_text)
                raise AssertionError(f"deputy serve was not healthy in {within}s:\n{said}")
            await asyncio.sleep(0.1)


@asynccontextmanager
async def deputy_serve(home: Path, env: dict[str, str], within: float = 90.0,
                       command: tuple[str, ...] = ("serve",), name: str = "") -> AsyncIterator[Served]:
    """``deputy serve`` (or ``command``: another process with a health port, e.g. ``planner``);
    ``name`` its log file's, when several run the same command."""
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
