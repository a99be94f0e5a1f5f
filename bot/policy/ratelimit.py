"""Write rate limits: ``rate_limit: {max: 20, per: 1h, scope: user|team}`` on a rule.

The rule that decides a step (the same first-match evaluation as on the plan card) carries
the limit. The count is the calls of earlier *succeeded* steps, finished inside the window,
whose action the rule's ``match`` names (integration, action, effect; argument, group,
channel and time conditions are not re-read for the past). A ``for_each`` step counts one
call per item. Scope ``user`` counts the requester's goals, ``team`` every goal of the same
platform team. With ``sum: ARG`` the limit caps the total of that argument over the same
calls (``{max: 500000, sum: amount_cents, per: 1d}``: at most 5,000.00 a day), counting the
step about to run with all its items. Read-only queries; the executor calls this before each
write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.domain import Effect
from bot.domain import Step as DomainStep
from bot.policy.evaluate import evaluate_step
from bot.policy.model import Policy, RateLimit, Rule
from bot.policy.request_facts import RequestFacts
from bot.store import runs
from bot.store.database import Session


class EffectSource(Protocol):
    """The registry, as far as rate limits need it: the effect of an action."""

    def spec(self, action: str) -> Any: ...


def _names(rule: Rule, action: str, registry: EffectSource | None) -> bool:
    m = rule.match
    integration, _, name = action.partition(".")
    if m.integration is not None and integration not in m.integration:
        return False
    if m.action is not None and action not in m.action and name not in m.action:
        return False
    if m.effect is not None and registry is not None:
        spec = registry.spec(action)
        return spec is not None and spec.effect in m.effect
    # without a registry an effect filter cannot be read: count the action (the stricter way)
    return True


async def count_writes(session: Session, rule: Rule, limit: RateLimit, requester_key: str,
                       team: str, now: datetime, registry: EffectSource | None = None) -> int:
    since = now - limit.window
    if limit.scope == "user":
        done = await runs.succeeded_calls(session, since, now, requester_key=requester_key)
    else:
        platform = requester_key.split(":", 1)[0]
        done = await runs.succeeded_calls(session, since, now, requester_prefix=f"{platform}:{team}:")
    total = 0
    for action, args in done:
        if _names(rule, action, registry):
            calls = args if isinstance(args, list) else [args]
            total += amount_of(limit, calls) if limit.sum else len(calls)
    return total


def amount_of(limit: RateLimit, calls: Sequence[Any]) -> int:
    """The total of ``limit.sum`` over the calls' arguments (a missing or odd value adds 0)."""
    total = 0
    for args in calls:
        value: Any = args
        for part in (limit.sum or "").split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += int(value)
    return total


async def rate_limit_problem(session: Session, policy: Policy, step: DomainStep, requester_key: str,
                             team: str, now: datetime, *, effect: Effect = Effect.WRITE,
                             facts: RequestFacts | None = None, registry: EffectSource | None = None,
                             calls: int = 1, arg_list: Sequence[Mapping[str, Any]] | None = None) -> str | None:
    """None when ``calls`` more calls of ``step`` (with ``arg_list``, their arguments) stay
    within its rule's limit; else why not."""
    facts = facts or RequestFacts(requester_key=requester_key, requester_groups=None, now=now)
    decision = evaluate_step(policy, step, effect, facts)
    limit = decision.rate_limit
    if limit is None:
        return None
    rule = next(r for r in policy.all_rules() if r.name == decision.rule)
    done = await count_writes(session, rule, limit, requester_key, team, now, registry)
    adding = amount_of(limit, arg_list if arg_list is not None else [step.args]) if limit.sum else calls
    if done + adding <= limit.max:
        return None
    who = "you" if limit.scope == "user" else "your team"
    made = f"{done} {limit.sum}" if limit.sum else str(done)
    return (f"rate limit of rule `{rule.name}`: {limit.describe()}; "
            f"{who} already made {made} in the last {limit.per}, and this step would add {adding}")
