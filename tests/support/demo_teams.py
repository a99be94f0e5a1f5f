"""The demo data for every team the suite's people belong to: the local integration keeps
each team's data apart, so a Slack workspace's requester sees only its own workspace's
clients and invoices (tests/integrations/local/test_teams.py)."""

from __future__ import annotations

from datetime import date

from bot.domain import LOCAL_TEAM
from integrations.local.demo import seed

# the shell, the fake Slack workspace (tests/fakes/slack_api.py), the Slack team of the core
# tests' people, the fake Discord guild (tests/fakes/discord_server.py), and the workspaces the
# distribution tests install (tests/adapters/slack/distributed.py, test_team_binding.py) and
# the Enterprise org one install serves; guilds joined during a test are seeded as they join
# (tests/adapters/discord/test_guilds.py)
TEST_TEAMS = (LOCAL_TEAM, "slack:T0001", "slack:T1", "discord:1100000000000000002",
              "slack:T0ACME", "slack:T0GLOBEX", "slack:T0OTHER", "slack:E0ACME")


async def seed_every_team(database: object, today: date, timezone: str = "UTC") -> dict[str, int]:
    """The demo in each of :data:`TEST_TEAMS`; returns the counts of one."""
    counts: dict[str, int] = {}
    for team in TEST_TEAMS:
        counts = await seed(database, today, timezone, team=team)
    return counts


async def seed_team(database: object, team: str, today: date, timezone: str = "UTC") -> dict[str, int]:
    """The demo in one team that is not known before the test runs (a guild joined)."""
    return await seed(database, today, timezone, team=team)
