"""Each team has its own policy in one deployment: a stored one (``deputy policy set``), a
file ``<team dir>/<platform>-<team>.yaml``, or the default; every verdict asks the team's."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.app import Deputy
from bot.domain import Actor, Effect, PlanDraft, Step
from bot.errors import PolicyError
from bot.flow.context import ConnectedCatalog
from bot.policy import evaluate_step
from bot.policy.teams import TeamPolicies, team_file
from bot.registry import discover
from bot.settings import Settings
from bot.store import team_policies
from bot.store.audit_verify import verify
from bot.store.database import Database
from bot.store.tables import AuditRow, RunRow
from tests.core.conftest import NOW, Build
from tests.core.doubles import ScriptedPlanner
from tests.support.chat import Chat
from tests.support.demo_teams import seed_team

ALPHA, BETA = "shell:alpha", "shell:beta"

NO_REMINDERS = """
version: 1
default: deny
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: no-reminders-here
    match: {action: send_reminder}
    verdict: deny
    reason: this team never sends reminders
  - name: other-writes
    match: {effect: write}
    verdict: require_approval
"""

REMINDERS_ALONE = NO_REMINDERS.replace("verdict: deny\n    reason: this team never sends reminders",
                                       "verdict: allow")


class TeamChat:
    """One chat port (a deployment has one per platform), people of several teams on it."""

    def __init__(self, app: Deputy) -> None:
        self.chat = Chat(app, user="Dev Patel")

    async def say(self, team: str, text: str) -> str:
        start = len(self.chat.lines)
        actor = Actor(platform="shell", team_id=team.split(":")[1], user_id="dev patel",
                      display_name="Dev Patel", timezone="Europe/London")
        await self.chat.session.handle_line(text, actor)
        return "\n".join(self.chat.lines[start:])


async def runs(database: Database) -> int:
    async with database.session(all_teams=True) as s:
        return len(list(await s.exec(select(RunRow))))


async def test_one_teams_policy_denies_what_another_teams_allows(deputy: Deputy, database: Database) -> None:
    for team in (ALPHA, BETA):  # each team's own invoices (the local integration keeps them apart)
        await seed_team(database, team, NOW.date(), "Europe/London")
    await deputy.policies.set(ALPHA, NO_REMINDERS, "cli:local:ops")
    chat = TeamChat(deputy)

    said = await chat.say(ALPHA, "chase overdue invoices")
    assert "this team never sends reminders" in said
    refused = await chat.say(ALPHA, "approve")
    assert "denies" in refused and await runs(database) == 0

    said = await chat.say(BETA, "chase overdue invoices")  # beta has no policy: the default's
    assert "never sends reminders" not in said
    assert "✓ Run 1: Done" in await chat.say(BETA, "approve")
    assert await runs(database) == 1


async def test_a_new_version_applies_at_once_and_is_audited_in_the_teams_chain(deputy: Deputy,
                                                                               database: Database) -> None:
    step = Step(id="s1", action="local.send_reminder", args={"invoice_id": "INV-1"})
    assert evaluate_step(await deputy.policy_for(ALPHA), step, Effect.WRITE).verdict.value == "require_approval"
    assert await deputy.policies.set(ALPHA, NO_REMINDERS, "cli:local:ops") == 1
    assert evaluate_step(await deputy.policy_for(ALPHA), step, Effect.WRITE).verdict.value == "deny"
    assert await deputy.policies.set(ALPHA, REMINDERS_ALONE, "cli:local:ops") == 2
    assert evaluate_step(await deputy.policy_for(ALPHA), step, Effect.WRITE).verdict.value == "allow"
    # another team, and no team at all, keep the default policy
    assert evaluate_step(await deputy.policy_for(BETA), step, Effect.WRITE).verdict.value == "require_approval"
    assert await deputy.policy_for(None) is deputy.policy
    async with database.session(all_teams=True) as s:
        kept = await team_policies.history(s, ALPHA)
        records = list(await s.exec(select(AuditRow).where(col(AuditRow.kind) == "policy_set")))
        report = await verify(s, team=ALPHA)
    assert [(r.version, r.set_by) for r in kept] == [(1, "cli:local:ops"), (2, "cli:local:ops")]
    assert [(r.team_key, r.data["version"]) for r in records] == [(ALPHA, 1), (ALPHA, 2)]
    assert report.ok and report.records == 2


async def test_an_invalid_policy_is_refused_and_nothing_is_stored(deputy: Deputy, database: Database) -> None:
    with pytest.raises(PolicyError, match="alpha.yaml, line 8: rules.1.verdict"):
        await deputy.policies.set(ALPHA, NO_REMINDERS.replace("verdict: deny", "verdict: maybe"),
                                  "cli:local:ops", "alpha.yaml")
    with pytest.raises(PolicyError, match="not a team key"):
        await deputy.policies.set("alpha", NO_REMINDERS, "cli:local:ops")
    async with database.session(all_teams=True) as s:
        assert await team_policies.history(s, ALPHA) == []
        assert list(await s.exec(select(AuditRow).where(col(AuditRow.kind) == "policy_set"))) == []


async def test_another_process_sees_a_policy_set_elsewhere(deputy: Deputy, database: Database) -> None:
    """The worker and the chat server each cache policies: a version set from the CLI (a
    third process) is used at their next verdict, without a restart."""
    step = Step(id="s1", action="local.send_reminder", args={})
    assert evaluate_step(await deputy.policy_for(ALPHA), step, Effect.WRITE).verdict.value == "require_approval"
    elsewhere = TeamPolicies(deputy.policy, database, None)
    await elsewhere.set(ALPHA, NO_REMINDERS, "cli:local:ops")
    assert evaluate_step(await deputy.policy_for(ALPHA), step, Effect.WRITE).verdict.value == "deny"


async def test_a_team_file_decides_for_its_team_and_the_database_wins(
        build: Build, settings: Settings, tmp_path: Path) -> None:
    teams = tmp_path / "teams"
    teams.mkdir()
    team_file(teams, ALPHA).write_text(NO_REMINDERS)
    assert team_file(teams, ALPHA).name == "shell-alpha.yaml"
    deputy = await build(settings=settings.model_copy(update={"team_policy_dir": teams}))
    step = Step(id="s1", action="local.send_reminder", args={})
    resolved = await deputy.policies.resolve(ALPHA)
    assert resolved.source.endswith("shell-alpha.yaml")
    assert evaluate_step(resolved.policy, step, Effect.WRITE).verdict.value == "deny"
    assert (await deputy.policies.resolve(BETA)).source.startswith("default")
    await deputy.policies.set(ALPHA, REMINDERS_ALONE, "cli:local:ops")
    resolved = await deputy.policies.resolve(ALPHA)
    assert resolved.source.startswith("database v1")
    assert evaluate_step(resolved.policy, step, Effect.WRITE).verdict.value == "allow"


async def test_an_integration_declared_for_one_team_is_unknown_to_another(build: Build,
                                                                          database: Database) -> None:
    """An MCP server with ``teams = ["shell:alpha"]``: beta's goals neither see nor run it."""
    registry = discover(["local"])
    local = registry.get("local")
    assert local is not None
    local.manifest.teams = [ALPHA]  # stands in for such a server (tests/integrations/mcp builds one)
    listing = PlanDraft(summary="list the invoices",
                        steps=[Step(id="s1", action="local.list_invoices", args={})])
    planner = ScriptedPlanner(listing, listing)
    deputy = await build(planner=planner, registry=registry)
    chat = TeamChat(deputy)
    said = await chat.say(BETA, "list the invoices")
    assert "unknown action 'local.list_invoices'" in said and await runs(database) == 0
    said = await chat.say(ALPHA, "list the invoices")
    assert "✓ Run 1: Done" in said
    assert ConnectedCatalog(registry, set(), BETA).spec("local.list_invoices") is None
    assert ConnectedCatalog(registry, set(), ALPHA).spec("local.list_invoices") is not None


async def test_a_run_never_calls_an_integration_its_team_may_no_longer_use(build: Build,
                                                                           database: Database) -> None:
    registry = discover(["local"])
    reminder = PlanDraft(summary="remind", steps=[
        Step(id="s1", action="local.send_reminder", args={"invoice_id": 1, "message": "Gentle reminder"})])
    deputy = await build(planner=ScriptedPlanner(reminder), registry=registry)
    chat = TeamChat(deputy)
    assert "awaiting approval" in await chat.say(ALPHA, "remind")
    local = registry.get("local")
    assert local is not None
    local.manifest.teams = ["shell:gamma"]  # the operator restricted it while the plan waited
    said = await chat.say(ALPHA, "approve")
    assert "local is not available to your team" in said
    async with database.session(all_teams=True) as s:
        calls = list(await s.exec(select(AuditRow).where(col(AuditRow.kind) == "call")))
    assert calls == []
