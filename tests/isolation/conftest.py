"""One deployment, three teams (issue 20): one Deputy app, the real slack-bolt adapter on the
fake Slack with two workspaces installed through "Add to Slack" (the fake's authorize page and
``oauth.v2.access``), the real discord.py client on the fake Discord with one guild, a worker
draining runs, and a throwaway integration whose credentials are connected with the chat's
own forms. Each team is driven through the same small interface (:class:`tests.isolation.teams.Team`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import Deputy, assemble, dispatcher, team_door
from bot.planning.rules import RulePlanner
from bot.policy import load_policy
from bot.registry import IntegrationEnv
from bot.registry.registry import discover
from bot.settings import Settings, load_settings
from bot.store.database import Database
from bot.vault import CredentialStore, Keyring, generate_key
from bot.vault.audit_key import AuditKeys
from tests.adapters.discord.conftest import connect, disconnect, eventually
from tests.adapters.discord.conftest import fake as fake  # noqa: F401  (fixture)
from tests.adapters.discord.test_guilds import wait_team
from tests.adapters.slack.conftest import slack_api as slack_api  # noqa: F401  (fixture)
from tests.adapters.slack.distributed import ACME, GLOBEX, installed_slack, workspaces
from tests.core.conftest import NOW, clock
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi
from tests.isolation.teams import DiscordTeam, SlackTeam, Team, do_work
from tests.support.demo_teams import seed_every_team
from tests.support.throwaway_integration import write_acme

MASTER = generate_key("k1")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5, worker_poll_seconds=30)


@pytest.fixture
async def app(database: Database, settings: Settings, tmp_path: Path) -> Deputy:
    # `acme` (tests/support/throwaway_integration.py) asks for a token with the connect form
    write_acme(tmp_path / "plugins" / "acme")
    registry = discover(["local", "acme"], extra_paths=[tmp_path / "plugins"])
    registry.start(IntegrationEnv(settings=settings, database=database, clock=clock))
    # a master key the operator's CLI is given too (DEPUTY_MASTER_KEY): it verifies the chains
    keyring = Keyring([MASTER])
    database.audit_keys = AuditKeys(keyring)  # as bot.app.build_app does: every record an HMAC
    vault = CredentialStore(database, keyring)
    deputy = assemble(settings, database, registry, load_policy(settings.resolved_policy_file), RulePlanner(),
                      clock=clock, vault=vault)
    await seed_every_team(database, NOW.date(), "Europe/London")
    return deputy


@dataclass
class Deployment:
    app: Deputy
    acme: SlackTeam
    globex: SlackTeam
    guild: DiscordTeam

    @property
    def teams(self) -> tuple[Team, Team, Team]:
        return (self.acme, self.globex, self.guild)

    def others(self, team: Team) -> list[Team]:
        return [t for t in self.teams if t is not team]


@pytest.fixture
async def deployment(app: Deputy, slack_api: FakeSlackApi, fake: FakeDiscord) -> AsyncIterator[Deployment]:
    """The three teams, installed and joined, with nothing done yet."""
    workspaces(slack_api)
    async with installed_slack(app, slack_api) as slack:
        assert (await slack.install(ACME))[0] == 200
        assert (await slack.install(GLOBEX))[0] == 200
        running = await connect(fake, dispatcher(app), teams=team_door(app))
        app.attach(running.port)
        try:
            await eventually(running.client.is_ready, 15)
            await wait_team(app, fake.guild_id)
            yield Deployment(app, SlackTeam(slack, ACME, "acme"), SlackTeam(slack, GLOBEX, "globex"),
                             DiscordTeam(app, running, "guild"))
        finally:
            await disconnect(running)


@pytest.fixture
async def working(deployment: Deployment) -> Deployment:
    """Each team has done real work: a memory taught, an account connected, a note written by an
    approved run, a monitor approved, and an invoice plan waiting for approval."""
    for team in deployment.teams:
        await do_work(team)
    return deployment
