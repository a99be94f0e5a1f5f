"""Slack acks and slash command → plan card against the real `deputy serve`, with its real core.

Unlike bench_slack_ack (whose core is an ``asyncio.sleep``), the server here is the
``deputy serve`` an operator runs: its own process, the offline planner, the embedded
SQLite database, the worker and the scheduler, default post pacing. Requests come from an
open-loop generator (this process): request n is due at ``start + n / rate`` and its
latency is measured from that scheduled time, so a stalled server cannot slow the load
down and hide its own delay. The fake Slack Web API is a third process.

``--modes``: ``serve`` is `deputy serve` alone (everything in one process, on the embedded
SQLite); ``split`` is the Procfile's ``web`` (``deputy serve --no-plan``: verifies, acks and
queues each request in the inbox table) and ``planner`` (``deputy planner run``: plans them
and posts the cards), two processes on one SQLite file (``--postgresql``: on a throwaway
PostgreSQL database with durable commits, as the Procfile runs them).

1. Ack latency at each ``--rates`` value, for Deputy and for the floor: a minimal
   slack-bolt app (same machine, same generator, same signing and ``process_before_response``
   as Deputy) whose only listener acks ``/deputy``. ``--repeat N``: N pairs at each rate,
   floor then Deputy, interleaved (floor, Deputy, floor, Deputy, …) so each pair sees the same
   machine; every pair's p99s and ratio, the median of the paired ratios and the pooled
   ratio are printed (:mod:`bench.slack_pairs`: the two figures the ≤ 3× goal is judged by).
2. Slash command → plan card: ``--cards`` goals, each in its own channel, sent at
   ``--card-rate``; time from the scheduled send to the fake Slack receiving the card
   (the first ``chat.postMessage`` in the request's thread).

    .venv/bin/python -m bench.bench_slack_serve --rates 50,200,500 --seconds 10 --cards 100 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from bench.bench_slack_ack import USERS, start_fake_api
from bench.slack_pairs import Pairs, percentile, tables
from tests.adapters.slack import wire
from tests.support import postgres
from tests.support.deputy_process import deputy_serve, free_port, upgraded_home


def floor_app(api_url: str, conn: Connection) -> None:
    asyncio.run(_floor_app(api_url, conn))


def floor_web_app(api_url: str) -> web.Application:
    """The floor: a minimal slack-bolt app whose only listener acks ``/deputy``."""
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    # process_before_response as Deputy sets it: bolt then answers right after the listener
    # returns, instead of polling for the ack every 10 ms (its default, a slower floor)
    app = AsyncApp(client=AsyncWebClient(token="xoxb-bench", base_url=api_url), signing_secret=wire.SECRET,
                   process_before_response=True)

    @app.command("/deputy")
    async def only_ack(ack):  # type: ignore[no-untyped-def]
        await ack()

    return app.web_app(path="/slack/events")


async def _floor_app(api_url: str, conn: Connection) -> None:
    runner = web.AppRunner(floor_web_app(api_url), access_log=None)
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


async def drained(database_url: str, within: float = 600.0) -> None:
    """Wait until the ``inbox`` holds no request still to plan (a done one is deleted): the
    split's planner may be quiet at the Web API for seconds while it waits for the database,
    and a phase that ended on quiet alone would miss its cards. ``database_url``: PostgreSQL,
    or ``sqlite:///<file>``."""
    query = "SELECT count(*) FROM inbox WHERE failed_at IS NULL"
    deadline = time.monotonic() + within
    if database_url.startswith("sqlite:///"):
        path = database_url[len("sqlite:///"):]

        def left() -> int:
            with closing(sqlite3.connect(path, timeout=30)) as conn:
                return int(conn.execute(query).fetchone()[0])

        for _ in range(int(within * 2)):  # polled: another process's rows, no event to wait on
            if not await asyncio.to_thread(left) or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.5)
        return
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        for _ in range(int(within * 2)):
            if not await conn.fetchval(query) or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def finished(api: Connection, inbox_url: str | None) -> float:
    """The backlog of a phase is done: the inbox (when there is one) is empty and the Web API
    has been quiet 2 s since; seconds from now to its last call."""
    started = time.monotonic()
    if inbox_url is not None:
        await drained(inbox_url)
    return time.monotonic() - started + await settled(api)


@asynccontextmanager
async def deputy_server(mode: str, folder: Path, env: dict[str, str], pg_url: str,
                        web_env: dict[str, str]) -> AsyncIterator[tuple[str, str | None]]:
    """The URL of Deputy's Slack endpoint and the database its inbox is in: ``serve``, one
    process on the embedded SQLite (worker and scheduler included; no inbox: None); ``split``,
    the Procfile's ``web`` (``--no-plan``) and ``planner`` as two processes on the same
    database (``pg_url``, else that SQLite file)."""
    if mode == "serve":
        async with deputy_serve(folder / "home", {**env, **web_env}, within=120) as served:
            yield served.url, None
        return
    if pg_url:
        env = {**env, "DEPUTY_DATABASE_URL": pg_url}
    # migrated once before both start: two processes must not race to create one schema
    await upgraded_home(folder / "home", env)
    web = ("serve", "--no-plan", "--no-worker", "--no-scheduler")
    async with deputy_serve(folder / "home", {**env, **web_env}, within=120, command=web) as served, \
            deputy_serve(folder / "home", env, within=120, command=("planner", "run")):
        yield served.url, pg_url or f"sqlite:///{folder / 'home' / 'deputy.db'}"


LABEL = {"serve": "deputy serve (one process)", "split": "web --no-plan + planner"}


async def start_floor(api_url: str) -> tuple[multiprocessing.process.BaseProcess, Connection, str]:
    """The bare slack-bolt app in its own process; its events URL."""
    spawn = multiprocessing.get_context("spawn")
    floor_conn, floor_child = multiprocessing.Pipe()
    floor = spawn.Process(target=floor_app, args=(api_url, floor_child))
    floor.start()
    port = await asyncio.get_running_loop().run_in_executor(None, floor_conn.recv)
    return floor, floor_conn, f"http://127.0.0.1:{port}/slack/events"


async def run(rates: list[float], seconds: float, cards: int, card_rate: float, modes: list[str],
              pg_url: str, keep: str = "", repeat: int = 1, web_env: dict[str, str] | None = None) -> str:
    loop = asyncio.get_running_loop()
    api, api_conn, api_url = await start_fake_api()
    rows: list[str] = []
    pairs: dict[tuple[str, float], Pairs] = {}
    card_loads: dict[str, Load] = {}
    loads: list[Load] = []
    # up all along, idle while Deputy runs (as Deputy's processes are idle while it runs)
    floor, floor_conn, floor_url = await start_floor(api_url)
    with tempfile.TemporaryDirectory(prefix="deputy-bench-") as temporary:
        env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": wire.SECRET,
               "DEPUTY_SLACK_API_URL": api_url, "DEPUTY_LOG_LEVEL": "WARNING"}
        for mode in modes:
            folder = Path(keep or temporary) / mode
            async with deputy_server(mode, folder, env, pg_url, web_env or {}) as (url, inbox_url):
                # first, on a quiet server: slash command → card, one goal at a time
                card_loads[mode], _ = await open_loop(url + "/slack/events", card_rate, cards / card_rate, f"K{mode}")
                await finished(api_conn, inbox_url)
                # floor, Deputy, floor, Deputy, …: each pair sees the same machine
                for n in range(repeat):
                    for rate in rates:
                        tag = f"{int(rate)}R{n}"
                        floor_load, elapsed = await open_loop(floor_url, rate, seconds, f"F{mode}{tag}")
                        rows.append(ack_row("bare slack-bolt (floor)", rate, floor_load, elapsed) + f" {n + 1} | – | – |")
                        load, elapsed = await open_loop(url + "/slack/events", rate, seconds, f"D{mode}{tag}")
                        backlog = await finished(api_conn, inbox_url)
                        loads.append(load)
                        rows.append(ack_row(LABEL[mode], rate, load, elapsed)
                                    + f" {n + 1} | {{cards{len(loads) - 1}}} | {backlog:.1f} s |")
                        pairs.setdefault((LABEL[mode], rate), Pairs()).add(floor_load.latencies, load.latencies)
    floor_conn.send("stop")
    await loop.run_in_executor(None, floor.join, 10)
    api_conn.send("calls")
    calls: list[tuple[str, str, str, float]] = await loop.run_in_executor(None, api_conn.recv)
    await loop.run_in_executor(None, api.join, 10)
    carded = {f"cards{i}": len(first_replies(calls, load.sent)) for i, load in enumerate(loads)}
    rows = [row.format(**carded) if "{cards" in row else row for row in rows]
    command = (f".venv/bin/python -m bench.bench_slack_serve --rates {','.join(f'{r:g}' for r in rates)} "
               f"--seconds {seconds:g} --cards {cards} --card-rate {card_rate:g} --modes {','.join(modes)}"
               + (f" --repeat {repeat}" if repeat != 1 else "") + (" --postgresql" if pg_url else "")
               + "".join(f" --web-env {k}={v}" for k, v in (web_env or {}).items()))
    card_rows = []
    for mode in modes:
        card_times = first_replies(calls, card_loads[mode].sent)
        lat = card_times or [float("nan")]
        card_rows.append(f"| {LABEL[mode]} | {card_rate:g} | {cards} | {len(card_times)} | {ms(percentile(lat, 0.5))} "
                         f"| {ms(percentile(lat, 0.99))} | {ms(max(lat))} |")
    return "\n".join([
        f"`{command}` (offline planner; `deputy serve` alone on the embedded SQLite with its worker"
        f" and scheduler, the split on {'PostgreSQL with durable commits' if pg_url else 'one shared SQLite file'};"
        " the fake Slack Web API, the bare slack-bolt floor and"
        " the open-loop generator are more processes on 127.0.0.1; latency from each request's"
        " scheduled time; floor and Deputy runs interleaved)",
        "",
        "| server | target req/s | requests | achieved req/s | p50 ack | p99 ack | max ack | errors"
        " | busy answers | pair | cards posted | last Web API call after the load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        *tables(pairs),
        "",
        "| slash → plan card | req/s | goals | cards seen | p50 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *card_rows,
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
    parser.add_argument("--modes", default="serve,split",
                        help="serve: `deputy serve` alone; split: `web --no-plan` + `planner run` (Procfile)")
    parser.add_argument("--postgresql", action="store_true",
                        help="split on a throwaway PostgreSQL database (durable commits) instead of one SQLite file")
    parser.add_argument("--keep", default="", help="folder to keep Deputy's homes and logs in")
    parser.add_argument("--repeat", type=int, default=1,
                        help="pairs of runs at each rate: floor, Deputy, floor, Deputy, … (bench/slack_pairs.py)")
    parser.add_argument("--web-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting of the process that acks (web, or serve alone); repeatable")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    web_env = dict(item.split("=", 1) for item in args.web_env if "=" in item)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= set(LABEL):
        parser.error(f"--modes: use {', '.join(LABEL)}")
    if "split" not in modes or not args.postgresql:
        print(asyncio.run(run(rates, args.seconds, args.cards, args.card_rate, modes, "", args.keep,
                              args.repeat, web_env)))
    else:
        # durable: a benchmark pays the fsync on every commit that production pays
        with postgres.throwaway_database(postgres.server_url(), durable=True) as pg_url:
            print(asyncio.run(run(rates, args.seconds, args.cards, args.card_rate, modes, pg_url, args.keep,
                                  args.repeat, web_env)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
