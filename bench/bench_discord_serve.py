"""Discord acks while goals are planned: the real ``deputy discord`` against the fake Discord.

The Procfile's ``discord`` process (``deputy discord``: bot/serve.py run_discord_only) holds
the gateway connection AND plans what it receives, on one event loop. Interactions are
acknowledged before the core is called (bot/adapters/discord/interactions.py), but that
acknowledgement is itself work on the loop: if planning holds the loop, the answer waits,
and Discord refuses one that comes later than 3 s after the interaction (the fake answers
404 code 10062 as Discord does).

Here ``deputy discord`` is its own OS process (offline planner; the embedded SQLite, or
``--postgresql``: a throwaway PostgreSQL database with durable commits, as the Procfile runs
it). The fake Discord (tests/fakes/discord_server.py) runs in this process and is also the
open-loop generator: at each ``--rates`` value R, goals are mentioned (``@Deputy add a
contact …``, each its own message, so each gets a thread and a plan card) at R per second
for ``--seconds``, and ``/deputy`` slash commands are sent at ``--probe-rate`` per second
all along. A probe's ack latency is from its scheduled time to the fake receiving the
interaction's answer (the callback: the message the goal's thread hangs under); a probe
answered after 3 s is refused and counted, not timed. R = 0 is the process at rest.

    .venv/bin/python -m bench.bench_discord_serve              # = --rates 0,20,50 --seconds 10 --probe-rate 5
    .venv/bin/python -m bench.bench_discord_serve --postgresql

The probes are themselves goals (each is planned and carded too), so R = 0 is 5 goals/s.
With 5 probes a second for 10 s, p99 is the second-slowest of 50: read it with max.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.slack_pairs import percentile
from tests.fakes.discord_server import ANSWER_SECONDS, FakeDiscord
from tests.support import postgres
from tests.support.deputy_process import Served, deputy_serve, upgraded_home

GOAL = "add a contact Jane Doe, jane{n}@acme.example, at Acme Corp"


@dataclass
class Phase:
    rate: float
    goals: list[str] = field(default_factory=list)  # the goal messages' ids
    probes: dict[str, float] = field(default_factory=dict)  # interaction id → scheduled time
    late_sends: list[float] = field(default_factory=list)  # how late the generator sent
    backlog: float = 0.0  # seconds from the end of the load to the last card


def carded(fake: FakeDiscord, goal_ids: list[str]) -> int:
    """Goals whose thread (Discord gives a message's thread the message's id) holds a card."""
    with_card = {m["channel_id"] for m in fake.messages.values()
                 if m["author"]["id"] == fake.bot["id"] and m["components"]}
    return sum(1 for g in goal_ids if g in with_card)


async def at(when: float, act: Callable[[], Awaitable[str]], sink: Callable[[str], None],
             late: list[float]) -> None:
    await asyncio.sleep(max(0.0, when - time.monotonic()))
    late.append(time.monotonic() - when)
    sink(await act())


async def load(fake: FakeDiscord, rate: float, seconds: float, probe_rate: float, tag: str) -> Phase:
    phase = Phase(rate)
    start = time.monotonic() + 0.2
    mention = f"<@{fake.bot['id']}> "
    jobs = []
    for n in range(int(rate * seconds)):
        text = mention + GOAL.format(n=f"{tag}.{n}")

        async def goal(text: str = text) -> str:
            return str((await fake.post_message("alice", text))["id"])

        jobs.append(at(start + n / rate, goal, phase.goals.append, phase.late_sends))
    for n in range(int(probe_rate * seconds)):
        when = start + n / probe_rate

        async def probe(n: int = n) -> str:
            return await fake.slash("alice", GOAL.format(n=f"{tag}.probe{n}"))

        def keep(interaction_id: str, when: float = when) -> None:
            phase.probes[interaction_id] = when

        jobs.append(at(when, probe, keep, phase.late_sends))
    await asyncio.gather(*jobs)
    phase.backlog = await settled(fake, phase.goals)
    return phase


async def settled(fake: FakeDiscord, goals: list[str], quiet: float = 3.0, within: float = 600.0) -> float:
    """Wait until every goal is carded, or the fake has had no call for ``quiet`` seconds;
    seconds from now to the last call. Polled: the calls come from another process."""
    started = changed = time.monotonic()
    last = -1
    while time.monotonic() - changed < quiet and time.monotonic() - started < within:
        if carded(fake, goals) == len(goals) and len(fake.calls) == last:
            break
        if len(fake.calls) != last:
            last, changed = len(fake.calls), time.monotonic()
        await asyncio.sleep(0.25)
    return changed - started


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def row(fake: FakeDiscord, phase: Phase) -> str:
    answered = {c.interaction_id: c.at for c in fake.callbacks if c.interaction_id in phase.probes}
    latencies = [answered[i] - phase.probes[i] for i in phase.probes if i in answered]
    refused = len(phase.probes) - len(latencies)
    lat = latencies or [float("nan")]
    slow = sum(1 for v in latencies if v > ANSWER_SECONDS / 2)
    return (f"| {phase.rate:g} | {len(phase.goals)} | {carded(fake, phase.goals)} | {len(phase.probes)} "
            f"| {ms(percentile(lat, 0.5))} | {ms(percentile(lat, 0.99))} | {ms(max(lat))} | {slow} | {refused} "
            f"| {ms(max(phase.late_sends or [0.0]))} | {phase.backlog:.1f} s |")


@asynccontextmanager
async def deputy_discord(fake: FakeDiscord, folder: Path, pg_url: str) -> AsyncIterator[Served]:
    env = {"DISCORD_TOKEN": fake.token, "DEPUTY_DISCORD_API_URL": fake.api_url,
           "DEPUTY_DISCORD_GATEWAY_URL": fake.gateway_url, "DEPUTY_LOG_LEVEL": "WARNING"}
    if pg_url:
        env["DEPUTY_DATABASE_URL"] = pg_url
        await upgraded_home(folder / "home", env)
    async with deputy_serve(folder / "home", env, within=120, command=("discord",)) as served:
        yield served


async def run(rates: list[float], seconds: float, probe_rate: float, pg_url: str, keep: str) -> str:
    fake = FakeDiscord()
    await fake.start()
    before = os.getloadavg()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="deputy-bench-") as temporary:
            async with deputy_discord(fake, Path(keep or temporary), pg_url) as served:
                await fake.wait_connected(60)
                # warm-up: one goal through to its card (the guild's team made, the planner loaded)
                warm = await load(fake, 1, 1, 0, "warm")
                if carded(fake, warm.goals) != 1:
                    raise SystemExit("deputy discord did not card the warm-up goal:\n" + await served.output())
                for n, rate in enumerate(rates):
                    phase = await load(fake, rate, seconds, probe_rate, f"r{n}")
                    rows.append(row(fake, phase))
    finally:
        await fake.stop()
    after = os.getloadavg()
    command = (f".venv/bin/python -m bench.bench_discord_serve --rates {','.join(f'{r:g}' for r in rates)} "
               f"--seconds {seconds:g} --probe-rate {probe_rate:g}" + (" --postgresql" if pg_url else ""))
    return "\n".join([
        f"`{command}` (`deputy discord` in its own process, offline planner, "
        f"{'PostgreSQL with durable commits' if pg_url else 'the embedded SQLite'}; the fake Discord and the"
        " open-loop generator in the bench process; ack latency from each /deputy's scheduled time to its"
        f" answer; load average {before[0]:.1f} before, {after[0]:.1f} after, on {os.cpu_count()} CPUs)",
        "",
        "| goals/s | goals | carded | /deputy probes | p50 ack | p99 ack | max ack | acks > 1.5 s"
        " | refused (> 3 s) | generator lag | last call after the load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="0,20,50", help="comma-separated goals mentioned per second")
    parser.add_argument("--seconds", type=float, default=10, help="length of the load at each rate")
    parser.add_argument("--probe-rate", type=float, default=5, help="/deputy commands per second, timed")
    parser.add_argument("--postgresql", action="store_true",
                        help="a throwaway PostgreSQL database (durable commits) instead of the embedded SQLite")
    parser.add_argument("--keep", default="", help="folder to keep Deputy's home and log in")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if any(r < 0 for r in rates) or args.probe_rate <= 0 or args.seconds <= 0:
        parser.error("--rates: 0 or more; --probe-rate and --seconds: more than 0")
    if not args.postgresql:
        print(asyncio.run(run(rates, args.seconds, args.probe_rate, "", args.keep)))
    else:
        with postgres.throwaway_database(postgres.server_url(), durable=True) as pg_url:
            print(asyncio.run(run(rates, args.seconds, args.probe_rate, pg_url, args.keep)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
