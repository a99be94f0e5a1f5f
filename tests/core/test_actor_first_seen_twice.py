"""A person's first two requests at once: both are taken (issue 22's load bench found the
second failing with UNIQUE constraint failed: actors.key)."""

from __future__ import annotations

import asyncio

from bot.domain import Actor
from bot.store import goals
from bot.store.database import Database


async def test_the_same_new_person_recorded_by_concurrent_requests(database: Database) -> None:
    anna = Actor(platform="slack", team_id="T1", user_id="U0ANNA", display_name="anna", timezone="UTC")
    started = asyncio.Event()

    async def request() -> None:
        async with database.session(all_teams=True) as session:
            # every request reads "no such person" before any of them writes
            assert await session.get(goals.ActorRow, anna.key) is None or started.is_set()
            await started.wait()
            await goals.upsert_actor(session, anna)

    tasks = [asyncio.create_task(request()) for _ in range(5)]
    await asyncio.sleep(0.05)
    started.set()
    await asyncio.gather(*tasks)
    async with database.session(all_teams=True) as session:
        assert await goals.get_actor(session, anna.key) == anna
