"""Instructions per Slack request in ``web`` and in the bare slack-bolt floor, and per goal in
``planner``, counted by valgrind's callgrind: a figure the machine's load does not move
(the wall-clock benches' p99s do, on a shared machine).

Each target runs under ``valgrind --tool=callgrind --instr-atstart=no``; after a warm-up
(imports, first compiles, pools), counting is switched on (``callgrind_control -i on``),
``--requests`` signed ``/deputy`` goals are sent one at a time, ``--gap`` seconds apart (so
each of ``web``'s inbox writes is its own batch, as at 200 req/s on a quiet machine), then
counting is switched off and dumped. Per thread (``--separate-threads=yes``): ``web``'s front
door thread (verify, parse, ack) and its main thread (the inbox insert after the ack).

* ``web``: ``deputy serve --no-plan --no-worker --no-scheduler`` on a throwaway durable
  PostgreSQL database (no planner: the rows stay in the inbox).
* ``floor``: the bare slack-bolt app of bench_slack_serve.
* ``planner``: ``deputy planner run`` under callgrind (niceness 0: the count does not depend
  on it, the wall time would), fed by a ``web`` outside it; counted from the first goal's
  send to the inbox being empty.

docs/benchmarks.md, "What web spends per request, counted", has the figures.

    .venv/bin/python -m bench.callgrind_slack --targets web,floor,planner --requests 100
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg

from bench.bench_slack_ack import start_fake_api
from bench.bench_slack_serve import floor_web_app, goal_body
from tests.adapters.slack import wire
from tests.support import postgres
from tests.support.deputy_process import DEPUTY, FOREIGN, free_port, wait_healthy

VALGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes"]


def floor_main(port: int, api_url: str) -> None:
    """The floor of bench_slack_serve on a given port, until killed."""
    async def serve() -> None:
        from aiohttp import web

        runner = web.AppRunner(floor_web_app(api_url), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        await asyncio.Event().wait()

    asyncio.run(serve())


async def start(command: list[str], env: dict[str, str], log: Path, port: int) -> asyncio.subprocess.Process:
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(*command, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT)
    await wait_healthy(f"http://127.0.0.1:{port}", process, log, within=600, cpu_within=600)
    return process


async def send(url: str, first: int, count: int, gap: float) -> None:
    async with aiohttp.ClientSession() as session:
        for n in range(first, first + count):
            body = goal_body(n, f"CG{n:06d}")
            async with session.post(url, data=body.encode(), headers={"Content-Type": wire.FORM, **wire.sign(body)}) as r:
                assert r.status == 200 and not await r.read(), f"request {n}: {r.status}"
            await asyncio.sleep(gap)


async def inbox_empty(database_url: str, within: float = 1200.0) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + within
        while await conn.fetchval("SELECT count(*) FROM inbox WHERE failed_at IS NULL"):
            assert time.monotonic() < deadline, "the planner did not empty the inbox"
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def control(*args: str) -> None:
    done = await asyncio.create_subprocess_exec("callgrind_control", *args, stdout=asyncio.subprocess.DEVNULL)
    await done.wait()


def totals(prefix: str) -> list[int]:
    """Instructions counted in each thread's dump (callgrind.out.PID[.N]-TT), by thread."""
    found: dict[str, int] = {}
    for path in sorted(glob.glob(prefix + "*")):
        text = Path(path).read_text(errors="replace")
        match = re.search(r"^totals: (\d+)", text, re.M)
        thread = path.rsplit("-", 1)[-1]
        if match:
            found[thread] = found.get(thread, 0) + int(match.group(1))
    return [found[t] for t in sorted(found)]


async def measure(target: str, requests: int, warmup: int, gap: float, folder: Path, database_url: str) -> str:
    api, api_conn, api_url = await start_fake_api()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    env = {**clean, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": wire.SECRET,
           "DEPUTY_SLACK_API_URL": api_url, "DEPUTY_LOG_LEVEL": "WARNING", "DEPUTY_BACKGROUND_NICE": "0", "DEPUTY_HOME": str(folder / "home")}
    out = str(folder / f"callgrind.{target}")
    grind = [*VALGRIND, f"--callgrind-out-file={out}.%p"]
    processes: list[asyncio.subprocess.Process] = []
    try:
        env["DEPUTY_DATABASE_URL"] = database_url
        upgrade = await asyncio.create_subprocess_exec(str(DEPUTY), "db", "upgrade", env=env,
                                                       stdout=asyncio.subprocess.DEVNULL)
        assert await upgrade.wait() == 0
        port = free_port()
        web = [str(DEPUTY), "serve", "--no-plan", "--no-worker", "--no-scheduler",
               "--host", "127.0.0.1", "--port", str(port)]
        if target == "floor":
            command = [*grind, sys.executable, "-c",
                       f"from bench.callgrind_slack import floor_main; floor_main({port}, {api_url!r})"]
            process = await asyncio.create_subprocess_exec(*command, env=env, cwd=os.getcwd())
            processes.append(process)
            await wait_port(port)
        elif target == "web":
            process = await start([*grind, *web], env, folder / "web.log", port)
            processes.append(process)
        else:
            processes.append(await start(web, env, folder / "web.log", port))
            planner_port = free_port()
            process = await start([*grind, str(DEPUTY), "planner", "run", "--host", "127.0.0.1",
                                   "--port", str(planner_port)], env, folder / "planner.log", planner_port)
            processes.append(process)
        url = f"http://127.0.0.1:{port}/slack/events"
        await send(url, 10**6, warmup, gap)
        if target == "planner":
            await inbox_empty(database_url)
        await control("-i", "on", str(process.pid))
        await send(url, 0, requests, gap)
        if target == "planner":
            await inbox_empty(database_url)
        await asyncio.sleep(2)
        await control("-i", "off", str(process.pid))
        await control("-d", str(process.pid))
        await asyncio.sleep(2)
        threads = totals(f"{out}.{process.pid}")
    finally:
        for p in processes:
            if p.returncode is None:
                p.kill()
                await p.wait()
        api_conn.send("stop")
        api.join(10)
    per = [t / requests for t in threads]
    return (f"| {target} | {requests} | {sum(threads) / requests / 1e6:.2f} M | "
            + ", ".join(f"{p / 1e6:.2f} M" for p in per) + " |")


async def wait_port(port: int, within: float = 600) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="web,floor")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between two requests")
    parser.add_argument("--keep", default="", help="folder to keep the callgrind dumps in")
    args = parser.parse_args()
    admin = postgres.server_url()
    rows = []
    with tempfile.TemporaryDirectory(prefix="deputy-callgrind-") as temporary:
        folder = Path(args.keep or temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for target in args.targets.split(","):
            (folder / target).mkdir(parents=True, exist_ok=True)
            with postgres.throwaway_database(admin, durable=True) as database_url:
                rows.append(asyncio.run(measure(target, args.requests, args.warmup, args.gap, folder / target,
                                                database_url)))
            print(rows[-1], flush=True)
    print("| target | requests | instructions per request | per thread (main first) |")
    print("|---|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
