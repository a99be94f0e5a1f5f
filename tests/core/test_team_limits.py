"""Rate limits and autopilot trust are per team: one team's calls never count against
another's limit, and one team's approved runs earn autopilot for that team only."""

from __future__ import annotations

from bot.app import Deputy
from bot.domain import PlanDraft, Step
from bot.policy import parse_policy
from tests.core.conftest import Build
from tests.core.doubles import ScriptedPlanner
from tests.core.test_team_policies import ALPHA, BETA, TeamChat

GAMMA = "shell:gamma"

LIMITED = """
version: 1
default: deny
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: meetings
    match: {action: create_event}
    verdict: require_approval
    rate_limit: {max: 2, per: 1d, scope: team}
"""

EARNED = """
version: 1
default: deny
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: meetings
    match: {action: create_event}
    verdict: require_approval
    autopilot_after: 1
"""


def meeting(n: int) -> PlanDraft:
    return PlanDraft(summary=f"Meeting {n}", steps=[Step(id="s1", action="local.create_event", args={
        "title": f"Sync {n}", "start": "2026-12-10T10:00:00+00:00", "end": "2026-12-10T10:30:00+00:00",
        "attendees": ["ana@example.com"]})])


async def with_planner(build: Build, policy_text: str | None = None) -> tuple[Deputy, ScriptedPlanner]:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner, policy=parse_policy(policy_text) if policy_text else None)
    return deputy, planner


async def test_a_teams_rate_limit_counts_only_its_own_calls(build: Build) -> None:
    deputy, planner = await with_planner(build)
    # alpha and beta each have the limit in a policy of their own; gamma has the default
    await deputy.policies.set(ALPHA, LIMITED, "cli:local:ops")
    await deputy.policies.set(BETA, LIMITED, "cli:local:ops")
    chat = TeamChat(deputy)
    async def book(team: str, n: int) -> str:
        planner.script(meeting(n))
        await chat.say(team, "book a meeting")
        return await chat.say(team, "approve")

    for n in (1, 2):
        assert "Done" in await book(ALPHA, n)
    said = await book(ALPHA, 3)
    assert "rate limit of rule `meetings`: at most 2 per 1d per team" in said
    assert "your team already made 2" in said
    # beta's two are its own, whatever alpha did
    for n in (4, 5):
        assert "Done" in await book(BETA, n)
    assert "your team already made 2" in await book(BETA, 6)
    # gamma has the default policy, which sets no limit
    for n in (7, 8, 9):
        assert "Done" in await book(GAMMA, n)


async def test_autopilot_earned_by_one_team_is_not_anothers(build: Build) -> None:
    deputy, planner = await with_planner(build, EARNED)
    chat = TeamChat(deputy)
    planner.script(meeting(1))
    assert "awaiting approval" in await chat.say(ALPHA, "book a meeting")
    assert "Done" in await chat.say(ALPHA, "approve")
    planner.script(meeting(2))
    said = await chat.say(ALPHA, "book a meeting")  # alpha earned it: runs alone, announced
    assert "Autopilot: your team has had 1 approved, successful runs" in said and "Done" in said
    planner.script(meeting(3))
    said = await chat.say(BETA, "book a meeting")  # the same shape in another team still asks
    assert "Autopilot" not in said and "awaiting approval" in said
