"""Small builders shared by the policy tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.domain import Actor, Effect, Step
from bot.policy import Decision, Policy, RequestFacts, evaluate_step, parse_policy

WED_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def actor(user: str, *groups: str, platform: str = "slack", team: str = "T1") -> Actor:
    return Actor(platform=platform, team_id=team, user_id=user, groups=frozenset(groups))


def facts(user: str = "alice", *groups: str, channel: str | None = "C1", now: datetime | None = WED_NOON,
          team: str = "T1") -> RequestFacts:
    return RequestFacts(requester_key=f"slack:{team}:{user}", requester_groups=frozenset(groups),
                        channel_id=channel, platform="slack", now=now)


def policy_with(rule_yaml: str, *, groups: str = "{}", default: str = "allow") -> Policy:
    """A policy with one rule under test and a default that differs from most verdicts."""
    return parse_policy(f"default: {default}\ngroups: {groups}\nrules:\n{rule_yaml}", "test.yaml")


def decide(policy: Policy, action: str = "local.create_invoice", args: dict[str, Any] | None = None,
           effect: Effect = Effect.WRITE, request: RequestFacts | None = None) -> Decision:
    return evaluate_step(policy, Step(id="s1", action=action, args=args or {}), effect,
                         request if request is not None else facts())
