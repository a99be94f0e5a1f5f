"""How fast Deputy acknowledges signed slash commands while the planner is slow.

Three parts on loopback: Deputy's Slack HTTP server (its own process, real SlackAdapter,
a dispatch that sleeps ``--delay`` seconds like a slow planner), a fake Slack Web API and
an open-loop load generator (this process) sending correctly signed ``/deputy <goal>``
requests at ``--rate`` per second for ``--seconds``. Latency = request sent → response
read. Prints one markdown table.

    .venv/bin/python -m bench.bench_slack_ack --rate 200 --seconds 10 --delay 2
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import aiohttp
from aiohttp import web

from bot.adapters.slack.app import SlackAdapter
from bot.adapters.slack.http import create_http_app
from bot.adapters.slack.settings import SlackSettings
from bot.chat.events import ChatEvent
from tests.adapters.slack import wire
from tests.fakes.slack_api import FakeSlackApi

USERS = 50
CHANNELS = 200


def serve(api_url: str, delay: float, conn: Connection, profile: str = "") -> None:
    if not profile:
        asyncio.run(_serve(api_url, delay, conn))
        return
    import cProfile

    cProfile.runctx("asyncio.run(_serve(api_url, delay, conn))", globals(), locals(), profile)


async def _serve(api_url: str, delay: float, conn: Connection) -> None:
    async def slow_dispatch(event: ChatEvent) -> None:
        await asyncio.sleep(delay)

    settings = SlackSettings.model_validate(
        {"bot_token": "xoxb-bench", "signing_secret": wire.SECRET, "api_url": api_url}
    )
    adapter = SlackAdapter(settings, slow_dispatch)
    runner = web.AppRunner(create_http_app(adapter), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    conn.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # wait for "stop"
    await adapter.aclose(grace=0)
    await runner.cleanup()


def fake_api(conn: Connection) -> None:
    asyncio.run(_fake_api(conn))


async def start_fake_api() -> tuple[BaseProcess, Connection, str]:
    """The fake Slack Web API in a process of its own: the process, the pipe that asks it for
    its record of calls, and its URL."""
    conn, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=fake_api, args=(child,))
    process.start()
    url = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    return process, conn, url


async def _fake_api(conn: Connection) -> None:
    users = {
        f"U{n:05d}": {"id": f"U{n:05d}", "name": f"user{n}", "tz": "UTC", "profile": {"display_name": f"user{n}"}}
        for n in range(USERS)
    }
    api = await FakeSlackApi(users=users, tokens={"xoxb-bench"}).start()
    conn.send(api.base_url)
    while (asked := await asyncio.get_running_loop().run_in_executor(None, conn.recv)) == "count":
        conn.send(len(api.calls))
    if asked == "calls":  # each call's method, channel, thread and time (time.monotonic)
        conn.send([(c.method, str(c.params.get("channel", "")), str(c.params.get("thread_ts") or ""), c.at)
                   for c in api.calls])
    else:
        conn.send(len(api.calls))
    await api.stop()


async def one(session: aiohttp.ClientSession, url: str, n: int, at: float, lat: list[float], errors: list[str]) -> None:
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    body = wire.slash_command(
        f"invoice client {n} for March", user=f"U{n % USERS:05d}", channel=f"C{n % CHANNELS:05d}",
        trigger=f"bench.{n}",
    )
    headers = {"Content-Type": wire.FORM, **wire.sign(body)}
    started = time.perf_counter()
    try:
        async with session.post(url, data=body.encode(), headers=headers) as response:
            await response.read()
            if response.status != 200:
                errors.append(str(response.status))
                return
    except aiohttp.ClientError as err:
        errors.append(type(err).__name__)
        return
    lat.append(time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(rate: float, seconds: float, delay: float, profile: str = "") -> str:
    spawn = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    api, api_conn, api_url = await start_fake_api()
    parent, child = multiprocessing.Pipe()
    server = spawn.Process(target=serve, args=(api_url, delay, child, profile))
    server.start()
    port = await loop.run_in_executor(None, parent.recv)
    url = f"http://127.0.0.1:{port}/slack/events"
    total = int(rate * seconds)
    latencies: list[float] = []
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        # warm-up: auth.test and first imports happen once per process
        await one(session, url, -1, time.perf_counter(), [], [])
        start = time.perf_counter() + 0.1
        await asyncio.gather(*(one(session, url, n, start + n / rate, latencies, errors) for n in range(total)))
        elapsed = time.perf_counter() - start
    await asyncio.sleep(delay + 0.5)  # let accepted work reach the fake Web API
    parent.send("stop")
    await loop.run_in_executor(None, server.join, 10)
    api_conn.send("stop")
    web_api_calls = await loop.run_in_executor(None, api_conn.recv)
    await loop.run_in_executor(None, api.join, 10)
    done = len(latencies)
    command = f".venv/bin/python -m bench.bench_slack_ack --rate {rate:g} --seconds {seconds:g} --delay {delay:g}"
    return "\n".join([
        f"`{command}` (dispatch sleeps {delay:g} s; Deputy's server, the fake Slack Web API and the"
        f" load generator are three processes on 127.0.0.1; {web_api_calls} Web API calls served)",
        "",
        "| requests | target req/s | achieved req/s | p50 ack | p99 ack | max ack | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {total} | {rate:g} | {done / elapsed:.1f} | {statistics.median(latencies) * 1000:.1f} ms "
        f"| {percentile(latencies, 0.99) * 1000:.1f} ms | {max(latencies) * 1000:.1f} ms | {len(errors)} |",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds the fake planner takes")
    parser.add_argument("--profile", default="", help="write a cProfile of the server process here")
    args = parser.parse_args()
    print(asyncio.run(run(args.rate, args.seconds, args.delay, args.profile)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
