"""Policy files as typed data, validated on load with the line of the offending rule.

The language is described for people in docs/policies.md; this module is its grammar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.domain import Effect
from bot.errors import PolicyError
from bot.lazy_re import lazy
from bot.policy.conditions import RuleCondition
from bot.policy.timewindow import TimeWindow
from bot.policy.yamlfile import load_with_lines, strip_lines, validation_message

__all__ = ["Decision", "Match", "Policy", "PolicyError", "RateLimit", "Rule", "Verdict", "load_policy", "parse_policy"]


class Verdict(StrEnum):
    ALLOW = "allow"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"


RANK = {Verdict.ALLOW: 0, Verdict.REQUIRE_APPROVAL: 1, Verdict.DENY: 2}


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str | dict) else value


class Match(BaseModel):
    """Every field given must hold (AND); inside a list any entry may (OR)."""

    model_config = ConfigDict(extra="forbid")

    integration: list[str] | None = None
    action: list[str] | None = None  # integration.action or bare action name
    effect: list[Effect] | None = None
    when: list[RuleCondition] = Field(default_factory=list)
    requester_in: list[str] | None = None
    channel: list[str] | None = None  # channel id, platform:team, platform:team:channel, platform
    during: TimeWindow | None = None
    outside: TimeWindow | None = None

    _lists = field_validator("integration", "action", "effect", "when", "requester_in", "channel",
                             mode="before")(_as_list)


_PERIOD = lazy(r"^\s*(\d+)\s*(s|m|min|h|d)\s*$")
_UNIT = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max: int = Field(ge=1)
    per: str  # 30m, 1h, 1d
    scope: Literal["user", "team"] = "user"
    # an argument (dotted path): ``max`` then caps the total of its values in the period
    # (an amount per day), not the number of calls
    sum: str | None = Field(default=None, min_length=1)

    def describe(self) -> str:
        what = f"{self.max} {self.sum}" if self.sum else str(self.max)
        return f"at most {what} per {self.per} per {self.scope}"

    @field_validator("per")
    @classmethod
    def _period(cls, value: str) -> str:
        if not _PERIOD.match(value):
            raise ValueError(f"period {value!r} must look like 30m, 1h or 1d")
        return value

    @property
    def window(self) -> timedelta:
        found = _PERIOD.match(self.per)
        assert found is not None
        return timedelta(seconds=int(found.group(1)) * _UNIT[found.group(2)])


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    match: Match = Field(default_factory=Match)
    verdict: Verdict
    approvals: int = Field(default=1, ge=1, le=10)
    requester_may_approve: bool = True
    approvers: list[str] = Field(default_factory=list, description="Group names; empty = anyone.")
    approvers_mode: Literal["any_of", "all_of"] = "any_of"
    reason: str = ""
    rate_limit: RateLimit | None = None
    # after this many approved, successful runs of the same plan shape by the same team,
    # the steps this rule decides run without asking (docs/policies.md, "Autopilot")
    autopilot_after: int | None = Field(default=None, ge=1, le=1000)
    # remind the approvers and tell these groups when a plan waits this long (30m, 4h, 1d)
    escalate_after: str | None = None
    escalate_to: list[str] = Field(default_factory=list)

    @field_validator("escalate_after")
    @classmethod
    def _escalation_period(cls, value: str | None) -> str | None:
        if value is not None and not _PERIOD.match(value):
            raise ValueError(f"period {value!r} must look like 30m, 4h or 1d")
        return value

    @property
    def escalation_delay(self) -> timedelta | None:
        found = _PERIOD.match(self.escalate_after) if self.escalate_after else None
        return timedelta(seconds=int(found.group(1)) * _UNIT[found.group(2)]) if found else None

    @model_validator(mode="after")
    def _coherent(self) -> Rule:
        waits = self.verdict is Verdict.REQUIRE_APPROVAL
        if not waits and (self.autopilot_after is not None or self.escalate_after or self.escalate_to):
            raise ValueError(f"rule {self.name!r}: autopilot_after/escalate_after/escalate_to "
                             "only make sense with require_approval")
        if self.escalate_to and not self.escalate_after:
            raise ValueError(f"rule {self.name!r}: escalate_to needs escalate_after (when to escalate)")
        if self.verdict is not Verdict.REQUIRE_APPROVAL and (self.approvers or "approvals" in self.model_fields_set):
            raise ValueError(f"rule {self.name!r}: approvals/approvers only make sense with require_approval")
        if self.approvers_mode == "all_of" and len(self.approvers) < 2:
            raise ValueError(f"rule {self.name!r}: all_of needs at least two approver groups")
        if self.verdict is Verdict.DENY and self.rate_limit:
            raise ValueError(f"rule {self.name!r}: a denied step never runs, so it needs no rate limit")
        return self

    @property
    def needed(self) -> int:
        """Distinct approvals needed: all_of needs one per group, and at least ``approvals``."""
        if self.approvers_mode == "all_of":
            return max(self.approvals, len(self.approvers))
        return self.approvals


class Guardrail(Rule):
    """A deny that no rule order can undo: checked before ``rules`` (see evaluate.py)."""

    verdict: Verdict = Verdict.DENY
    reason: str = Field(min_length=1)

    @field_validator("verdict")
    @classmethod
    def _deny_only(cls, value: Verdict) -> Verdict:
        if value is not Verdict.DENY:
            raise ValueError("a guardrail can only deny")
        return value


@dataclass(frozen=True)
class Decision:
    """What the policy says about one step: the verdict, the rule that gave it, and why."""

    verdict: Verdict
    rule: str
    reason: str
    approvals: int = 0
    requester_may_approve: bool = True
    approvers: tuple[str, ...] = ()
    approvers_mode: str = "any_of"
    rate_limit: RateLimit | None = None
    uncertain: bool = False  # decided on the cautious reading of an unknown value


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    default: Verdict = Verdict.DENY
    groups: dict[str, list[str]] = Field(default_factory=dict)
    guardrails: list[Guardrail] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    source: str = ""

    def members(self, group: str) -> set[str]:
        return set(self.groups.get(group, []))

    def all_rules(self) -> list[Rule]:
        return [*self.guardrails, *self.rules]


def _check_names(policy: Policy, source: str) -> None:
    names = [r.name for r in policy.all_rules()]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PolicyError(f"{source}: duplicate rule names: {', '.join(dupes)}")
    for rule in policy.all_rules():
        named = rule.approvers + (rule.match.requester_in or []) + rule.escalate_to
        unknown = [g for g in named if g not in policy.groups]
        if unknown:
            raise PolicyError(f"{source}: rule {rule.name!r} names unknown group(s): {', '.join(unknown)} "
                              "(declare platform-only groups as `name: []`)")


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    raw = load_with_lines(text, source)
    if not isinstance(raw, dict):
        raise PolicyError(f"{source}: a policy must be a mapping with `rules:`")
    try:
        policy = Policy.model_validate({**strip_lines(raw), "source": source})
    except ValidationError as err:
        raise PolicyError(validation_message(err, raw, source)) from None
    _check_names(policy, source)
    return policy


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text()
    except OSError as err:
        raise PolicyError(f"{path}: cannot read the policy file: {err.strerror}") from None
    return parse_policy(text, str(path))
