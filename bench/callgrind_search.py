"""Instructions per team-memory search (``bot/store/memory_search.py``), as the planner runs
it once per goal: ``--calls`` searches for the bench's goal on a throwaway PostgreSQL database
(an empty memory table, as in bench_slack_serve), each in its own session, counted by
callgrind around the loop only (after 20 warm-up calls). Run it under callgrind:

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/search.%p \\
        .venv/bin/python -m bench.callgrind_search --calls 100
    grep ^totals /tmp/search.*    # divided by --calls: instructions per search
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import time

from sqlmodel import SQLModel

from bot.memory import recall
from bot.store import memory_search
from bot.store.database import Database
from bot.store.memories import Visibility
from tests.support import postgres

GOAL = "add a contact Jane Doe, jane1@acme.example, at Acme Corp"


async def searches(url: str, calls: int) -> None:
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    seen = Visibility(team_key="slack:T1", channel_id="C1", actor_key="slack:T1:U1")
    words = recall.query_words(GOAL)

    async def one() -> None:
        async with database.session(team="slack:T1") as session:
            await memory_search.search(session, seen, words)

    for _ in range(20):
        await one()
    await asyncio.to_thread(subprocess.run, ["callgrind_control", "-i", "on", str(os.getpid())],
                            stdout=subprocess.DEVNULL, check=False)
    started = time.process_time()
    for _ in range(calls):
        await one()
    spent = time.process_time() - started
    await asyncio.to_thread(subprocess.run, ["callgrind_control", "-i", "off", str(os.getpid())],
                            stdout=subprocess.DEVNULL, check=False)
    print(f"{len(words)} words, {calls} searches, CPU per search {spent / calls * 1000:.3f} ms")
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(searches(url, args.calls))


if __name__ == "__main__":
    main()
