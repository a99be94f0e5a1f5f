"""Slack acks and slash command → plan card against the real `deputy serve`, with its real core.

Unlike bench_slack_ack (whose core is an ``asyncio.sleep``), the server here is the
``deputy serve`` an operator runs: its own process, the offline planner, the embedded
SQLite database, the worker and the scheduler, default post pacing. Requests come from an
open-loop generator (this process): request n is due at ``start + n / rate`` and its
latency is measured from that scheduled time, so a stalled server cannot slow the load
down and hide its own delay. The fake Slack Web API is a third process.

1. Ack latency at each ``--rates`` value, for Deputy and for the floor: a minimal
   slack-bolt app (same machine, same generator, same signing and ``process_before_response``
   as Deputy) whose only listener acks ``/deputy``.
2. Slash command → plan card: ``--cards`` goals, each in its own channel, sent at
   ``--card-rate``; time from the scheduled send to the fake Slack receiving the card
   (the first ``chat.postMessage`` in the request's thread).

    .venv/bin/python -m bench.bench_slack_serve --rates 50,200 --seconds 10 --cards 100
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.bench_slack_ack import USERS, fake_api, percentile
from tests.adapters.slack import wire
from tests.adapters.slack.served import deputy_serve, free_port


def floor_app(api_url: str, conn: Connection) -> None:
    asyncio.run(_floor_app(api_url, conn))


async def _floor_app(api_url: str, conn: Connection) -> None:
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    # process_before_response as Deputy sets it: bolt then answers right after the listener
    # returns, instead of polling for the ack every 10 ms (its default, a slower floor)
    app = AsyncApp(client=AsyncWebClient(token="xoxb-bench", base_url=api_url), signing_secret=wire.SECRET,
                   process_before_response=True)

    @app.command("/deputy")
    async def only_ack(ack):  # type: ignore[no-untyped-def]
        await ack()

    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    conn.send(port)
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    await runner.cleanup()


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    busy: int = 0  # 200 with Deputy's "busy" answer: acknowledged, not taken
    sent: dict[str, float] = field(default_factory=dict)  # channel → scheduled time


def goal_body(n: int, channel: str) -> str:
    return wire.slash_command(f"add a contact Jane Doe, jane{abs(n)}@acme.example, at Acme Corp",
                              user=f"U{n % USERS:05d}", channel=channel, trigger=f"bench.{n}.{channel}")


async def one(session: aiohttp.ClientSession, url: str, body: str, at: float, load: Load) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    headers = {"Content-Type": wire.FORM, **wire.sign(body)}
    try:
        async with session.post(url, data=body.encode(), headers=headers) as response:
            text = await response.read()
            if response.status == 200 and text:
                load.busy += 1
            if response.status != 200:
                load.errors.append(str(response.status))
                return
    except aiohttp.ClientError as err:
        load.errors.append(type(err).__name__)
        return
    load.latencies.append(time.monotonic() - at)


async def open_loop(url: str, rate: float, seconds: float, prefix: str) -> tuple[Load, float]:
    load = Load()
    total = int(rate * seconds)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await one(session, url, goal_body(-1, f"W{prefix}"), time.monotonic(), Load())  # warm-up
        start = time.monotonic() + 0.2
        jobs = []
        for n in range(total):
            channel = f"C{prefix}{n:06d}"
            load.sent[channel] = start + n / rate
            jobs.append(one(session, url, goal_body(n, channel), start + n / rate, load))
        await asyncio.gather(*jobs)
        elapsed = time.monotonic() - start
    return load, elapsed


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def ack_row(server: str, rate: float, load: Load, elapsed: float) -> str:
    lat = load.latencies or [float("nan")]
    return (f"| {server} | {rate:g} | {len(load.latencies) + len(load.errors)} | {len(load.latencies) / elapsed:.1f} "
            f"| {ms(percentile(lat, 0.5))} | {ms(percentile(lat, 0.99))} | {ms(max(lat))} | {len(load.errors)} "
            f"| {load.busy} |")


async def settled(api: Connection, quiet: float = 2.0, within: float = 300.0) -> float:
    """Wait until the fake Web API has had no call for ``quiet`` seconds (the planning
    backlog is done); seconds from now to its last call."""
    loop = asyncio.get_running_loop()
    started = changed = time.monotonic()
    last = -1
    while time.monotonic() - changed < quiet and time.monotonic() - started < within:
        api.send("count")
        count = await loop.run_in_executor(None, api.recv)
        if count != last:
            last, changed = count, time.monotonic()
        await asyncio.sleep(0.25)
    return changed - started


async def run(rates: list[float], seconds: float, cards: int, card_rate: float, keep: str = "") -> str:
    spawn = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    api_conn, api_child = multiprocessing.Pipe()
    api = spawn.Process(target=fake_api, args=(api_child,))
    api.start()
    api_url = await loop.run_in_executor(None, api_conn.recv)
    rows: list[str] = []
    p99: dict[tuple[str, float], float] = {}
    card_load = Load()
    loads: list[Load] = []
    with tempfile.TemporaryDirectory(prefix="deputy-bench-") as temporary:
        folder = keep or temporary
        env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": wire.SECRET,
               "DEPUTY_SLACK_API_URL": api_url, "DEPUTY_LOG_LEVEL": "WARNING"}
        async with deputy_serve(Path(folder) / "home", env, within=120) as served:
            # first, on a quiet server: slash command → card, one goal at a time
            card_load, _ = await open_loop(served.url + "/slack/events", card_rate, cards / card_rate, "K")
            await settled(api_conn)
            for rate in rates:
                load, elapsed = await open_loop(served.url + "/slack/events", rate, seconds, f"D{int(rate)}R")
                backlog = await settled(api_conn)
                loads.append(load)
                rows.append(ack_row("deputy serve", rate, load, elapsed) + f" {{cards{len(loads) - 1}}} | {backlog:.1f} s |")
                p99["deputy", rate] = percentile(load.latencies or [float("nan")], 0.99)
    floor_conn, floor_child = multiprocessing.Pipe()
    floor = spawn.Process(target=floor_app, args=(api_url, floor_child))
    floor.start()
    port = await loop.run_in_executor(None, floor_conn.recv)
    for rate in rates:
        load, elapsed = await open_loop(f"http://127.0.0.1:{port}/slack/events", rate, seconds, f"F{int(rate)}R")
        rows.append(ack_row("bare slack-bolt (floor)", rate, load, elapsed) + " – | – |")
        p99["floor", rate] = percentile(load.latencies or [float("nan")], 0.99)
    floor_conn.send("stop")
    await loop.run_in_executor(None, floor.join, 10)
    api_conn.send("calls")
    calls: list[tuple[str, str, str, float]] = await loop.run_in_executor(None, api_conn.recv)
    await loop.run_in_executor(None, api.join, 10)
    card_times = first_replies(calls, card_load.sent)
    carded = {f"cards{i}": len(first_replies(calls, load.sent)) for i, load in enumerate(loads)}
    rows = [row.format(**carded) if "{cards" in row else row for row in rows]
    command = (f".venv/bin/python -m bench.bench_slack_serve --rates {','.join(f'{r:g}' for r in rates)} "
               f"--seconds {seconds:g} --cards {cards} --card-rate {card_rate:g}")
    ratio = " · ".join(f"{r:g} req/s: {p99['deputy', r] / p99['floor', r]:.1f}×" for r in rates)
    lat = card_times or [float("nan")]
    return "\n".join([
        f"`{command}` (real `deputy serve`: offline planner, SQLite, worker and scheduler; the"
        " fake Slack Web API and the open-loop generator are two more processes on 127.0.0.1;"
        " latency from each request's scheduled time)",
        "",
        "| server | target req/s | requests | achieved req/s | p50 ack | p99 ack | max ack | errors"
        " | busy answers | cards posted | last Web API call after the load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Deputy p99 / floor p99: {ratio}",
        "",
        "| slash → plan card | req/s | goals | cards seen | p50 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| deputy serve | {card_rate:g} | {cards} | {len(card_times)} | {ms(percentile(lat, 0.5))} "
        f"| {ms(percentile(lat, 0.99))} | {ms(max(lat))} |",
    ])


def first_replies(calls: list[tuple[str, str, str, float]], sent: dict[str, float]) -> list[float]:
    """Per channel of ``sent``: first chat.postMessage in a thread − the scheduled send."""
    seen: dict[str, float] = {}
    for method, channel, thread, at in calls:
        if method == "chat.postMessage" and thread and channel in sent and channel not in seen:
            seen[channel] = at - sent[channel]
    return list(seen.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="50,200", help="comma-separated requests per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--cards", type=int, default=100, help="goals timed from slash command to card")
    parser.add_argument("--card-rate", type=float, default=5)
    parser.add_argument("--keep", default="", help="folder to keep Deputy's home and serve.log in")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    print(asyncio.run(run(rates, args.seconds, args.cards, args.card_rate, args.keep)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
