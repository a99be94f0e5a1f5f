"""``deputy policy explain`` and ``deputy policy check``: the policy answering for itself."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from bot.domain import Effect, Step
from bot.errors import PolicyError
from bot.policy.evaluate import DEFAULT_RULE, evaluate_step
from bot.policy.matching import match_rule
from bot.policy.model import Policy, load_policy
from bot.policy.request_facts import RequestFacts
from bot.policy.totals import PlanStep
from bot.policy.truth import Truth


class SpecSource(Protocol):
    def spec(self, action: str) -> Any: ...


def explain(policy: Policy, effect: Effect, step: Step, facts: RequestFacts | None,
            plan: Sequence[PlanStep] | None = None) -> str:
    """The verdict, the deciding rule with its concrete values, and how every other rule fared.
    With ``plan``, totals (``sum(...)``, ``count(...)``) are taken over its steps."""
    decision = evaluate_step(policy, step, effect, facts, plan)
    lines = [f"{step.action} ({effect.value}) → {decision.verdict.value}", f"  {decision.reason}"]
    if decision.rate_limit:
        rl = decision.rate_limit
        lines.append(f"  rate limit: {rl.describe()}")
    lines.append("rules, in the order they are read:")
    for kind, rules in (("guardrail", policy.guardrails), ("rule", policy.rules)):
        for rule in rules:
            truth, texts = match_rule(policy, rule, step, effect, facts, plan)
            mark = {Truth.TRUE: "matches", Truth.UNKNOWN: "unknown", Truth.FALSE: "no"}[truth]
            chosen = " ◀ decides" if rule.name == decision.rule else ""
            detail = f" — {'; '.join(texts)}" if texts else ""
            lines.append(f"  {kind} `{rule.name}` ({rule.verdict.value}): {mark}{detail}{chosen}")
    if decision.rule == DEFAULT_RULE:
        lines.append(f"  default: {policy.default.value} ◀ decides")
    return "\n".join(lines)


def _actor_key(as_user: str, team: str = "shell:local") -> str:
    # `shell:local:alice`, or a bare user id read as a user of ``team`` (the shell's by default)
    return as_user if as_user.count(":") >= 2 else f"{team}:{as_user}"


def _plan_steps(plan_json: str, registry: SpecSource) -> tuple[list[PlanStep], str]:
    """``--plan '[{"action": ..., "args": {...}}, ...]'`` as plan steps, or an error text."""
    try:
        raw = json.loads(plan_json)
    except json.JSONDecodeError as err:
        return [], f"✗ --plan is not JSON: {err.msg} at column {err.colno}"
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        return [], "✗ --plan must be a JSON list of steps, e.g. '[{\"action\": \"local.record_payment\", \"args\": {...}}]'"
    steps: list[PlanStep] = []
    for index, item in enumerate(raw, start=1):
        spec = registry.spec(str(item.get("action", "")))
        if spec is None:
            return [], f"✗ --plan step {index}: no integration offers {item.get('action')!r}"
        try:
            step = Step(id=str(item.get("id", f"s{index}")), action=item["action"], args=item.get("args", {}),
                        for_each=item.get("for_each"))
        except ValidationError as err:
            return [], f"✗ --plan step {index}: {err.errors()[0]['msg']}"
        steps.append(PlanStep.of(step, spec.effect))
    return steps, ""


def explain_command(policy_path: Path | Policy, as_user: str, action: str | None, args_json: str,
                    registry: SpecSource, *, groups: Sequence[str] = (), channel: str | None = None,
                    now: datetime | None = None, plan_json: str | None = None,
                    team: str | None = None) -> tuple[int, str]:
    """Exit code and text for ``deputy policy explain --as USER --action ACTION --args JSON``,
    or ``--plan JSON`` (every step of a plan, totals over the whole plan). ``policy_path``
    is a file, or a team's policy already resolved (``--team``, whose users a bare ``--as``
    names)."""
    if isinstance(policy_path, Policy):
        policy = policy_path
    else:
        try:
            policy = load_policy(policy_path)
        except PolicyError as err:
            return 2, f"✗ {err}"
    policy_path = policy_path if isinstance(policy_path, Path) else Path(policy.source)
    key = _actor_key(as_user, team or "shell:local")
    facts = RequestFacts(requester_key=key, requester_groups=frozenset(groups), channel_id=channel,
                         platform=key.split(":", 1)[0], now=now or datetime.now(UTC))
    if plan_json is not None:
        plan, problem = _plan_steps(plan_json, registry)
        if problem:
            return 2, problem
        parts = [f"step {i} ({p.step.id}): " + explain(policy, p.effect, p.step, facts, plan)
                 for i, p in enumerate(plan, start=1)]
        return 0, f"as {key} in {policy_path}, a plan of {len(plan)} steps\n" + "\n\n".join(parts)
    if not action:
        return 2, "✗ give --action (with --args) for one step, or --plan for a whole plan"
    spec = registry.spec(action)
    if spec is None:
        return 2, f"✗ no integration offers {action!r} (use integration.action, e.g. local.create_invoice)"
    try:
        args = json.loads(args_json or "{}")
    except json.JSONDecodeError as err:
        return 2, f"✗ --args is not JSON: {err.msg} at column {err.colno}"
    if not isinstance(args, dict):
        return 2, "✗ --args must be a JSON object, e.g. '{\"amount_cents\": 240000}'"
    try:
        step = Step(id="s1", action=action, args=args)
    except ValidationError as err:
        return 2, f"✗ {err.errors()[0]['msg']}"
    text = f"as {key} in {policy_path}\n" + explain(policy, spec.effect, step, facts)
    return 0, text


def _counted(n: int, noun: str) -> str:
    return f"no {noun}s" if n == 0 else f"1 {noun}" if n == 1 else f"{n} {noun}s"


def check_files(paths: Sequence[Path]) -> tuple[int, str]:
    """Validate several policy files; exit code 1 when any is invalid."""
    lines, bad = [], 0
    for path in paths:
        try:
            policy = load_policy(path)
        except PolicyError as err:
            lines.append(f"✗ {err}")
            bad += 1
            continue
        lines.append(f"✓ {path}: {_counted(len(policy.guardrails), 'guardrail')}, "
                     f"{_counted(len(policy.rules), 'rule')}, default {policy.default.value}")
    return (1 if bad else 0), "\n".join(lines)
