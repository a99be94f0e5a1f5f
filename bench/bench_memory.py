"""Benchmark of team-memory retrieval: full-text search over 100,000 memories.

    .venv/bin/python bench/bench_memory.py                      # SQLite in a temp folder
    .venv/bin/python bench/bench_memory.py --database-url postgresql://postgres@127.0.0.1/bench

Fills one team with N memories (default 100,000): 20 channels, 200 people, scopes mixed
(channel 40 %, person 30 %, team 30 %), one in ten superseded, one in twenty forgotten,
texts about 500 clients and everyday topics. Then times what Deputy does before planning a
goal (`bot/flow/context.py::recalled`): open a session, `memory_search.search` (scope,
liveness, full-text match, best 50) and `recall.rank`, for goals asked by random people in
random channels. Prints a markdown table. The fill ends with ANALYZE (PostgreSQL: VACUUM
ANALYZE, as autovacuum would, which also merges the GIN index's pending list). The PostgreSQL database named in the URL must
exist and be disposable: its memories table is dropped and re-created.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.memory import recall  # noqa: E402
from bot.store import memory_search  # noqa: E402
from bot.store.database import Database  # noqa: E402
from bot.store.memories import MemoryRow, Visibility  # noqa: E402
from bot.store.tables import utcnow  # noqa: E402

TEAM = "slack:T1"
TABLE = MemoryRow.metadata.tables["memories"]
_SYLLABLES = "ac me glo bex ini tech um bre lla soy lent cy ber dyne hoo li vand ele ay wa ne".split()
CLIENTS = sorted({(a + b + c).capitalize() for a in _SYLLABLES for b in _SYLLABLES for c in ("", "co", "ex")})[:500]
TOPICS = ["invoices go to billing@{c}.example", "pays net-{n}", "meetings with {c} are {n} minutes",
          "prefers calls in the morning", "contract renews in {m}", "{c}'s account manager is {p}",
          "the {c} project is called {w}", "quarterly report for {c} is due in {m}",
          "{c} wants demos on Fridays", "our contact at {c} is {p}"]
OWN = ["our standups are {n} minutes", "retros are {n} minutes", "the team is {p}, {q} and {r}",
       "deploys happen on {d}", "{p} prefers mornings", "the office wifi is {w}", "expenses go to {p}"]
PEOPLE = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Iris", "Jon"]
WORDS = ["atlas", "beacon", "comet", "delta", "ember", "falcon", "granite", "harbor", "ion", "juniper"]
MONTHS = ["January", "March", "May", "July", "September", "November"]
DAYS = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays"]
GOALS = ["invoice {c} for last month", "book a meeting with {c} tomorrow at 10", "book a standup with the team",
         "send the quarterly report to {c}", "remind {p} about the {c} contract on Friday",
         "book a retro with everyone next week", "email our contact at {c} about the demo",
         "schedule a call with {c} in the morning"]


def _said(template: str, rnd: random.Random) -> str:
    return template.format(c=rnd.choice(CLIENTS), n=rnd.choice((15, 30, 45, 60)), m=rnd.choice(MONTHS),
                           p=rnd.choice(PEOPLE), q=rnd.choice(PEOPLE), r=rnd.choice(PEOPLE),
                           w=rnd.choice(WORDS), d=rnd.choice(DAYS))


def _memory(n: int, rnd: random.Random) -> dict[str, object]:
    said = _said(rnd.choice(TOPICS if rnd.random() < 0.7 else OWN), rnd)
    if said[0].islower() and rnd.random() < 0.7:
        said = f"{rnd.choice(CLIENTS)} {said}"
    pick = rnd.random()
    scope, key = (("channel", f"C{rnd.randrange(20)}") if pick < 0.4 else
                  ("person", f"{TEAM}:U{rnd.randrange(200)}") if pick < 0.7 else ("team", ""))
    now = utcnow()
    return {"team_key": TEAM, "scope": scope, "scope_key": key, "subject": f"s{n}", "text": said, "kind": "",
            "value": None, "taught_by": f"{TEAM}:U{rnd.randrange(200)}", "taught_by_name": "",
            "source_channel": "", "source_message": "", "created_at": now, "valid_from": now,
            "valid_to": now if n % 10 == 0 else None, "superseded_by": None, "expires_at": None,
            "forgotten_at": now if n % 20 == 1 else None, "forgotten_by": None}


async def _fill(database: Database, count: int, rnd: random.Random) -> float:
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: TABLE.drop(c, checkfirst=True))
        if database.is_sqlite:
            await conn.execute(text("DROP TABLE IF EXISTS memories_fts"))
        await conn.run_sync(lambda c: TABLE.create(c))
    t0 = time.perf_counter()
    for start in range(0, count, 5000):
        async with database.engine.begin() as conn:
            await conn.execute(insert(TABLE), [_memory(n, rnd) for n in range(start, min(count, start + 5000))])
    # what autovacuum does on a live server: statistics, and the GIN index's pending list merged
    async with database.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE" if database.is_sqlite else "VACUUM ANALYZE memories"))
    return time.perf_counter() - t0


async def _retrieve(database: Database, seen: Visibility, goal: str) -> int:
    async with database.session(team=seen.team_key) as session:
        rows = await memory_search.search(session, seen, recall.query_words(goal))
    return len(recall.rank(goal, rows))


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    rnd = random.Random(19)
    with tempfile.TemporaryDirectory() as folder:
        database = Database(args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}")
        fill_s = await _fill(database, args.count, rnd)
        asks = [(Visibility(TEAM, f"C{rnd.randrange(20)}", f"{TEAM}:U{rnd.randrange(200)}"),
                 _said(rnd.choice(GOALS), rnd)) for _ in range(args.queries)]
        for seen, goal in asks[:50]:  # warm the connection pool and caches
            await _retrieve(database, seen, goal)
        took, found = [], []
        for seen, goal in asks:
            t0 = time.perf_counter()
            found.append(await _retrieve(database, seen, goal))
            took.append((time.perf_counter() - t0) * 1000)
        await database.dispose()

    engine = "SQLite (file, WAL), FTS5" if database.is_sqlite else "PostgreSQL, tsvector + GIN"
    print(f"Command: `{' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}`\n")
    print(f"Database: {engine}; {args.count:,} memories in one team (filled in {fill_s:.1f} s); "
          f"{args.queries} goals, one run; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| retrieval p50 (session + search + rank) | {statistics.median(took):.2f} ms |")
    print(f"| retrieval p95 | {_percentile(took, 0.95):.2f} ms |")
    print(f"| retrieval p99 | {_percentile(took, 0.99):.2f} ms |")
    print(f"| retrieval max | {max(took):.2f} ms |")
    print(f"| goals with at least one memory found | {sum(1 for f in found if f) / len(found):.0%} |")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--database-url", default="", help="default: a SQLite file in a temp folder")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_arguments()))
