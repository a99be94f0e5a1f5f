"""Autopilot: trust a team earns, one plan shape at a time.

A rule with ``autopilot_after: N`` lets the steps it decides run without asking once the
same team has had N approved, successful runs of the same plan *shape* (the actions in
order and the shape of their arguments: keys and kinds, never values). It applies to a plan
only when every step that needs approval is decided by such a rule; a denied step is never
auto-run. Each auto-run is still announced in the thread (its card says why it runs), and
one failed run of that shape resets the count, which revokes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bot.chat.replies import Notice
from bot.domain import Step
from bot.flow.addressing import where_of
from bot.planning.refs import is_ref
from bot.policy import Policy
from bot.store import audit, autopilot_records
from bot.store.goals import PlanView
from bot.store.tables import GoalRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


def _arg_shape(value: Any) -> Any:
    if is_ref(value):
        return "ref"
    if isinstance(value, dict):
        return {k: _arg_shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_arg_shape(value[0])] if value else []
    return type(value).__name__


def plan_shape(steps: Iterable[Step]) -> str:
    shape = [[s.action, s.for_each is not None, _arg_shape(s.args)] for s in steps]
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()


def team_of(goal: GoalRow) -> str:
    platform, team, _ = (goal.requester_key.split(":", 2) + ["", ""])[:3]
    return f"{platform}:{team}"


def runs_needed(policy: Policy, verdicts: Sequence[tuple[str, str]]) -> int | None:
    """N when every step needing approval is decided by a rule with ``autopilot_after``
    (the largest N among them); None when autopilot cannot apply. ``verdicts`` are
    (verdict, rule name) per step."""
    rules = {r.name: r for r in policy.rules}
    waiting = [rule for verdict, rule in verdicts if verdict == "require_approval"]
    if not waiting or any(v == "deny" for v, _ in verdicts):
        return None
    needed = [rules[name].autopilot_after if name in rules else None for name in waiting]
    if any(n is None for n in needed):
        return None
    return max(n for n in needed if n is not None)


async def autopilot_note(app: Deputy, goal: GoalRow, steps: Sequence[Step],
                         verdicts: Sequence[tuple[str, str]], policy: Policy) -> str | None:
    """The card's announcement when this plan has earned autopilot, else None (``policy``:
    the one the verdicts came from)."""
    needed = runs_needed(policy, verdicts)
    if needed is None:
        return None
    shape = plan_shape(steps)
    async with app.database.session(team=goal.team_key) as session:
        earned = await autopilot_records.successes(session, team_of(goal), shape)
        if earned < needed:
            return None
        await audit.append(session, "autopilot", goal_id=goal.id, data={
            "shape": shape, "successes": earned, "needed": needed})
    return (f"Autopilot: your team has had {earned} approved, successful runs of this kind of plan "
            f"(the rule asks for {needed}), so it runs without asking. One failure revokes this.")


async def record_run(app: Deputy, view: PlanView, *, succeeded: bool) -> None:
    """Count a finished run toward (or against) its shape's trust."""
    verdicts = [(s.verdict, s.rule) for s in view.steps]
    needed = runs_needed(await app.policy_of(view.goal.requester_key), verdicts)
    if needed is None:
        return
    shape = plan_shape(view.draft().steps)
    async with app.database.session(team=view.goal.team_key) as session:
        before = await autopilot_records.record(session, team_of(view.goal), shape, succeeded=succeeded)
        if not succeeded and before > 0:
            await audit.append(session, "autopilot_revoked", goal_id=view.goal.id,
                               data={"shape": shape, "successes_before": before})
    port = app.port(view.goal.platform)
    if not succeeded and before >= needed:
        await port.post(where_of(view.goal), Notice(
            f"Autopilot for this kind of plan is revoked after this failure: the next {needed} "
            "runs need approval again.", tone="warning"))
