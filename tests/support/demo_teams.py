"""The demo data for every team the suite's people belong to: the local integration keeps
each team's data apart, so a Slack workspace's requester sees only its own workspace's
clients and invoices (tests/integrations/local/test_teams.py)."""

from __future__ import annotations

from datetime import date

from bot.domain import LOCAL_TEAM
from integrations.local.demo import seed

# the shell, the fake Slack workspace (tests/fakes/slack_api.py), the Slack team of the core
# tests' people, the fake Discord guild (tests/fakes/discord_server.py)
TEST_TEAMS = (LOCAL_TEAM, "slack:T0001", "slack:T1", "discord:1100000000000000002")


async def seed_every_team(database: object, today: date, timezone: str = "UTC") -> dict[str, int]:
    """The demo in each of :data:`TEST_TEAMS`; returns the counts of one."""
    counts: dict[str, int] = {}
    for team in TEST_TEAMS:
        counts = await seed(database, today, timezone, team=team)
    return counts
