"""Rows of one team in every table that carries a team today (goals, actors, memories,
episodes, autopilot records), so count/export/delete can be compared across teams."""

from __future__ import annotations

from bot.domain import Actor, Where
from bot.store import autopilot_records, episodes, goals, teams
from bot.store.database import Database
from bot.store.episodes import EpisodeRow
from bot.store.memories import MemoryRow
from bot.store.memories import add as add_memory


async def seed_team(db: Database, key: str, name: str = "") -> None:
    platform, team_id = teams.split_key(key)
    actor = Actor(platform=platform, team_id=team_id, user_id="U1", display_name=f"Ana of {name or key}")
    async with db.session(team=key) as session:
        await teams.ensure(session, key, name)
        await goals.upsert_actor(session, actor)
        goal = await goals.create_goal(session, actor, Where(platform=platform, channel_id="C1"),
                                       f"invoice Acme for {key}", None)
        assert goal is not None
        await add_memory(session, MemoryRow(team_key=key, scope="team", subject="standups",
                                            text=f"standups of {key} are 15 minutes", taught_by=actor.key))
        await episodes.record(session, EpisodeRow(run_id=abs(hash(key)) % 10_000_000, goal_id=goal.id or 0,
                                                  team_key=key, requester_key=actor.key, goal="invoice Acme",
                                                  done="invoiced", outcome="succeeded"))
        await autopilot_records.record(session, key, "invoicing.create_invoice", succeeded=True)
