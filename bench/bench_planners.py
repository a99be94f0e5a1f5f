"""Planning throughput with 1 and 2 ``planner`` processes (and ``web`` processes) on one PostgreSQL.

The Procfile's split (``web``: ``deputy serve --no-plan``; ``planner``: ``deputy planner run``)
on a throwaway PostgreSQL database with durable commits, the offline planner, the fake Slack
Web API in its own process. For each ``--planners`` × ``--webs`` pair, on a fresh database:
``--goals`` signed slash commands (each its own channel) sent open-loop at ``--rate``, the
generator alternating between the web processes; then wait until the fake Slack is quiet.

Reported per configuration: cards posted per second (first request sent → last card seen at
the fake Slack), slash → card p50 / p99 (from each request's scheduled send), and what the
database did per goal: transactions committed (``pg_stat_database.xact_commit``) and rows
written (inserted + updated + deleted), whole run over goals (web, planners, their polls);
the CPU the planner and web processes, and this database's PostgreSQL backends, used per
goal (``/proc/<pid>/stat``; the server on this machine); and, sampled every
0.1 s while the load is planned, how many of the database's connections wait for an audit
chain's lock (``pg_stat_activity``: an advisory lock) and how many sit idle in a transaction
(waiting for their own process). ``--sites``: transactions per goal by the code that opened them.

    .venv/bin/python -m bench.bench_planners --planners 1,2 --webs 1 --goals 300 --rate 300
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from bench.bench_slack_ack import percentile, start_fake_api
from bench.bench_slack_serve import Load, drained, first_replies, goal_body, ms, one, settled
from tests.adapters.slack import wire
from tests.support import postgres
from tests.support.deputy_process import deputy_serve, upgraded_home


@dataclass
class Result:
    planners: int
    webs: int
    goals: int
    cards: int
    seconds: float  # first request sent → last card
    p50: float
    p99: float
    errors: int
    commits: int
    rows_written: int
    planner_cpu: float  # seconds of CPU the planner processes used over the load, together
    web_cpu: float
    # the database's connections, on average while the load was planned: waiting for an
    # audit chain's lock, and in a transaction waiting for their own process (idle in it)
    lock_waits: float
    idle_in_transaction: float
    database_cpu: float  # seconds of CPU of the PostgreSQL backends serving this database (sampled)


async def backend_cpu(url: str) -> dict[int, float]:
    """CPU used so far by each PostgreSQL backend serving this database (same machine)."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        pids = [r["pid"] for r in await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    finally:
        await conn.close()
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):  # ended meanwhile
            found[pid] = cpu_seconds(pid)
    return found


async def sample_connections(url: str, stop: asyncio.Event, cpu: dict[int, float]) -> tuple[float, float]:
    """Every 0.1 s until ``stop``: the database's connections waiting for an advisory lock
    (the audit chains' only kind), and those idle in a transaction (their averages); and into
    ``cpu`` the CPU each of its backends has used so far (a pool closes overflow connections
    as it goes: their backends' CPU is kept as last seen)."""
    conn = await asyncpg.connect(url, timeout=10)
    locks = idle = samples = 0
    try:
        while not stop.is_set():
            rows = await conn.fetch(
                "SELECT pid, wait_event = 'advisory' AS lock, state = 'idle in transaction' AS idle"
                " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            locks += sum(1 for r in rows if r["lock"])
            idle += sum(1 for r in rows if r["idle"])
            samples += 1
            for r in rows:
                with contextlib.suppress(OSError, ValueError):  # ended meanwhile
                    cpu[r["pid"]] = cpu_seconds(r["pid"])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)
    finally:
        await conn.close()
    return locks / max(samples, 1), idle / max(samples, 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (Linux ``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def db_counters(url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        row = await conn.fetchrow(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted AS written "
            "FROM pg_stat_database WHERE datname = current_database()")
        assert row is not None
        return int(row["xact_commit"]), int(row["written"])
    finally:
        await conn.close()


async def warm_up(urls: list[str], planners: int, prefix: str) -> None:
    """A few goals through each web process, untimed: the planners' first goals load what
    planning loads lazily."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(one(session, url, goal_body(-1 - i, f"W{prefix}{i}"), time.monotonic(), Load())
                               for i, url in enumerate(urls * (2 * planners))))


async def send(urls: list[str], goals: int, rate: float, prefix: str) -> Load:
    """``goals`` slash commands open-loop at ``rate``, request n to ``urls[n % len(urls)]``."""
    load = Load()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        start = time.monotonic() + 0.2
        jobs = []
        for n in range(goals):
            channel = f"C{prefix}{n:06d}"
            load.sent[channel] = start + n / rate
            jobs.append(one(session, urls[n % len(urls)], goal_body(n, channel), start + n / rate, load))
        await asyncio.gather(*jobs)
    return load


SITES = Path(__file__).parent / "session_sites"


def site_counts(folder: Path) -> dict[str, Counter[str]]:
    """``--sites``: per process (``serve`` / ``planner``), transactions and audit records by site."""
    found: dict[str, Counter[str]] = {}
    for path in folder.glob("sites.*"):
        process, *lines = path.read_text().splitlines()
        counts = found.setdefault(process.split()[0], Counter())
        for line in lines:
            n, site = line.split("\t", 1)
            counts[site] += int(n)
    return found


def sites_table(before: dict[str, Counter[str]], after: dict[str, Counter[str]], goals: int) -> str:
    lines = []
    for process in sorted(after):
        spent = after[process] - before.get(process, Counter())
        sessions = sum(n for site, n in spent.items() if site.startswith("session "))
        if not sessions:
            continue  # `deputy db upgrade`, done before the load
        lines.append(f"{process}: {sessions / goals:.2f} transactions per goal (Database.session)")
        lines += [f"  {n / goals:5.2f}  {site}" for site, n in spent.most_common() if n / goals >= 0.05]
    return "\n".join(lines)


async def measure(planners: int, webs: int, goals: int, rate: float, pg_url: str, folder: Path,
                  sites: bool = False) -> Result:
    loop = asyncio.get_running_loop()
    api, api_conn, api_url = await start_fake_api()
    env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": wire.SECRET,
           "DEPUTY_SLACK_API_URL": api_url, "DEPUTY_LOG_LEVEL": "WARNING", "DEPUTY_DATABASE_URL": pg_url}
    if sites:  # bench/session_sites/sitecustomize.py counts each process's transactions by site
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        env |= {"BENCH_SESSION_SITES": str(folder / "sites"),
                "PYTHONPATH": os.pathsep.join(p for p in (str(SITES), os.environ.get("PYTHONPATH", "")) if p)}
    home = folder / "home"
    await upgraded_home(home, env)  # migrated once before any starts: no race to create one schema
    web = ("serve", "--no-plan", "--no-worker", "--no-scheduler")
    prefix = f"P{planners}W{webs}R"
    async with AsyncExitStack() as stack:
        served = [await stack.enter_async_context(deputy_serve(home, env, within=120, command=web, name=f"web{i}"))
                  for i in range(webs)]
        urls = [s.url + "/slack/events" for s in served]
        planner_pids = [(await stack.enter_async_context(
            deputy_serve(home, env, within=120, command=("planner", "run"), name=f"planner{i}"))).process.pid
            for i in range(planners)]
        web_pids = [s.process.pid for s in served]
        await warm_up(urls, planners, prefix)
        await drained(pg_url)
        await settled(api_conn)
        await asyncio.sleep(1.0)  # the sites' counts written
        sites0 = await asyncio.to_thread(site_counts, folder)
        commits0, written0 = await db_counters(pg_url)
        planner_cpu0, web_cpu0 = sum(map(cpu_seconds, planner_pids)), sum(map(cpu_seconds, web_pids))
        database_cpu0 = await backend_cpu(pg_url)
        sampling = asyncio.Event()
        database_cpu1: dict[int, float] = {}
        sampler = asyncio.create_task(sample_connections(pg_url, sampling, database_cpu1))
        load = await send(urls, goals, rate, prefix)
        await drained(pg_url)
        sampling.set()
        lock_waits, idle_in_transaction = await sampler
        database_cpu1 |= await backend_cpu(pg_url)  # before the processes end: their backends with them
        await settled(api_conn)
        await asyncio.sleep(1.0)  # the statistics collector's flush (and the sites' counts)
        commits1, written1 = await db_counters(pg_url)
        planner_cpu = sum(map(cpu_seconds, planner_pids)) - planner_cpu0
        web_cpu = sum(map(cpu_seconds, web_pids)) - web_cpu0
        if sites:
            print(f"{planners} planner(s), {webs} web(s):\n{sites_table(sites0, await asyncio.to_thread(site_counts, folder), goals)}",
                  file=sys.stderr)
    api_conn.send("calls")
    calls: list[tuple[str, str, str, float]] = await loop.run_in_executor(None, api_conn.recv)
    await loop.run_in_executor(None, api.join, 10)
    latencies = first_replies(calls, load.sent)
    if not latencies:
        print(f"no card seen; {len(calls)} Web API calls", file=sys.stderr)
    first_sent = min(load.sent.values())
    seen = [at for method, channel, thread, at in calls
            if method == "chat.postMessage" and thread and channel in load.sent]
    last = max(seen) if seen else first_sent
    lat = latencies or [float("nan")]
    return Result(planners, webs, goals, len(latencies), last - first_sent, percentile(lat, 0.5),
                  percentile(lat, 0.99), len(load.errors), commits1 - commits0, written1 - written0,
                  planner_cpu, web_cpu, lock_waits, idle_in_transaction,
                  sum(cpu - database_cpu0.get(pid, 0.0) for pid, cpu in database_cpu1.items()))


def table(results: list[Result], command: str, load_average: str) -> str:
    base = {r.webs: r for r in results if r.planners == 1}
    rows = []
    for r in results:
        throughput = r.cards / r.seconds if r.seconds > 0 else float("nan")
        one_planner = base.get(r.webs)
        ratio = (throughput / (one_planner.cards / one_planner.seconds)
                 if one_planner and one_planner.seconds > 0 and one_planner.cards else float("nan"))
        rows.append(f"| {r.planners} | {r.webs} | {r.goals} | {r.cards} | {r.errors} | {r.seconds:.2f} s "
                    f"| {throughput:.1f} | {ratio:.2f}× | {ms(r.p50)} | {ms(r.p99)} "
                    f"| {r.commits / r.goals:.1f} | {r.rows_written / r.goals:.1f} "
                    f"| {r.planner_cpu / r.goals * 1000:.0f} ms | {r.web_cpu / r.goals * 1000:.1f} ms "
                    f"| {r.database_cpu / r.goals * 1000:.1f} ms | {r.lock_waits:.1f} | {r.idle_in_transaction:.1f} |")
    return "\n".join([
        f"`{command}` (split on a throwaway PostgreSQL database, durable commits; offline planner;"
        f" load average at the start: {load_average})",
        "",
        "| planners | webs | goals | cards seen | errors | first sent → last card | cards/s | × 1 planner"
        " | p50 slash → card | p99 slash → card | DB commits / goal | rows written / goal"
        " | planner CPU / goal | web CPU / goal | PostgreSQL CPU / goal | waiting for a chain lock"
        " | idle in transaction |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--planners", default="1,2", help="comma-separated numbers of planner processes")
    parser.add_argument("--webs", default="1", help="comma-separated numbers of web processes")
    parser.add_argument("--goals", type=int, default=300)
    parser.add_argument("--rate", type=float, default=300, help="slash commands per second (open loop)")
    parser.add_argument("--keep", default="", help="folder to keep Deputy's homes and logs in")
    parser.add_argument("--sites", action="store_true",
                        help="print each process's transactions per goal by the code that opened them (stderr)")
    args = parser.parse_args()
    planner_counts = [int(p) for p in args.planners.split(",") if p.strip()]
    web_counts = [int(w) for w in args.webs.split(",") if w.strip()]
    load_average = "/".join(f"{x:.1f}" for x in os.getloadavg())
    results = []
    with tempfile.TemporaryDirectory(prefix="deputy-bench-planners-") as temporary:
        for webs in web_counts:
            for planners in planner_counts:
                folder = Path(args.keep or temporary) / f"p{planners}w{webs}"
                # a fresh database each: no configuration inherits another's tables or statistics
                with postgres.throwaway_database(postgres.server_url(), durable=True) as pg_url:
                    results.append(asyncio.run(measure(planners, webs, args.goals, args.rate, pg_url, folder,
                                                      args.sites)))
    command = (f".venv/bin/python -m bench.bench_planners --planners {args.planners} --webs {args.webs}"
               f" --goals {args.goals} --rate {args.rate:g}")
    print(table(results, command, load_average))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
