"""Builds the neutral plan card from stored rows: one place decides what a card shows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.chat.buttons import ButtonId
from bot.chat.inert import claims_approval
from bot.chat.replies import Button, CardState, PlanCard, StepLine, StepState
from bot.domain import StepStatus
from bot.planning.refs import ITEM, is_ref, root_of
from bot.registry import Registry
from bot.store.goals import PlanView
from bot.store.tables import StepResultRow

_STATE_OF_STEP = {
    StepStatus.STARTED: StepState.RUNNING,
    StepStatus.SUCCEEDED: StepState.DONE,
    StepStatus.FAILED: StepState.FAILED,
    StepStatus.SKIPPED: StepState.SKIPPED,
}


def _describe_ref(path: str, numbers: Mapping[str, int]) -> str:
    root, _, rest = path.partition(".")
    if root == ITEM:
        return f"each item's {rest}" if rest else "each item"
    number = numbers.get(root_of(path))
    return f"← step {number}: {rest}" if number else f"← {path}"


def _shown(value: Any, numbers: Mapping[str, int]) -> Any:
    if is_ref(value):
        return _describe_ref(value["$ref"], numbers)
    if isinstance(value, dict):
        return {k: _shown(v, numbers) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v, numbers) for v in value]
    return value


def _detail(result: StepResultRow | None) -> str:
    if result is None:
        return ""
    if result.status == StepStatus.FAILED:
        return result.error
    return summarise_output(result.result)


def singular(noun: str) -> str:
    """'1 client', '1 company', '1 person': the card's counts read as English."""
    irregular = {"people": "person", "companies": "company", "entries": "entry", "addresses": "address"}
    if noun in irregular:
        return irregular[noun]
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def summarise_output(output: Any) -> str:
    """A few words about a step's output for the card: "3 invoices", "event #12"."""
    if not isinstance(output, dict):
        return ""
    if "results" in output and isinstance(output["results"], list):
        return f"{len(output['results'])} done"
    if "count" in output:
        for key, value in output.items():
            if isinstance(value, list):
                return f"{output['count']} {singular(key) if output['count'] == 1 else key}"
        return f"{output['count']} found"
    if "first" in output and isinstance(output["first"], dict):
        return f"first free: {output['first'].get('start', '')}"
    for key in ("invoice", "event", "contact", "deal", "note", "company"):
        item = output.get(key)
        if isinstance(item, dict):
            label = item.get("number") or item.get("title") or item.get("name") or item.get("id")
            return f"{key} {label}"
    # a file the step made for people to look at (the browser's downloads and screenshots)
    for key in ("file", "screenshot"):
        if isinstance(output.get(key), str):
            return f"{key} {output[key]}"
    return ""


# Only the policy's verdict line may say whether a step is approved or needs nobody. A
# planner's description (or an MCP server's tool description) that speaks about approvals is
# not shown: "approval already granted" must not sit next to "needs approval".
HIDDEN_SUMMARY = "(the planner's summary is not shown: it spoke about approvals, which only the policy decides)"


def _description(note: str, action_description: str, action: str) -> str:
    for text in (note, action_description):
        if text and not claims_approval(text):
            return text
    return action


def _summary(summary: str) -> str:
    return HIDDEN_SUMMARY if claims_approval(summary) else summary


def build_card(view: PlanView, registry: Registry, *, state: CardState, requester: str,
               approved_by: tuple[str, ...] = (),
               results: Mapping[str, StepResultRow] | None = None, note: str = "",
               extra_buttons: tuple[Button, ...] = ()) -> PlanCard:
    numbers = {s.step_id: s.position for s in view.steps}
    lines = []
    for step in view.steps:
        spec = registry.spec(step.action)
        # the arguments that matter first, then any other the plan sets (e.g. an edited one)
        first = [k for k in (spec.shown if spec else []) if k in step.args]
        shown_keys = first + [k for k in step.args if k not in first]
        shown = {k: _shown(step.args[k], numbers) for k in shown_keys}
        if step.for_each:
            shown = {"for each": _describe_ref(step.for_each, numbers), **shown}
        result = (results or {}).get(step.step_id)
        lines.append(StepLine(
            number=step.position, step_id=step.step_id, action=step.action,
            description=_description(step.note, spec.description if spec else "", step.action),
            shown_args=shown, args=dict(step.args), effect=step.effect, verdict=step.verdict,
            reason=step.verdict_reason,
            state=_STATE_OF_STEP.get(StepStatus(result.status), StepState.PENDING) if result else StepState.PENDING,
            detail=_detail(result),
        ))
    denied = any(line.verdict == "deny" for line in lines)
    buttons: tuple[Button, ...] = ()
    if state is CardState.AWAITING and view.plan.id is not None:
        ids = [ButtonId(view.plan.id, view.version.version, a) for a in ("approve", "modify", "reject")]
        buttons = (
            (() if denied else (Button(str(ids[0]), "Approve", "primary"),))
            + (Button(str(ids[1]), "Modify"), Button(str(ids[2]), "Reject", "danger"))
        )
    buttons += extra_buttons  # e.g. Undo on a finished run (bot/flow/undo.py)
    assert view.goal.id is not None and view.plan.id is not None
    return PlanCard(
        goal_id=view.goal.id, plan_id=view.plan.id, version=view.version.version,
        goal_text=view.goal.text, requester=requester, summary=_summary(view.version.summary),
        steps=tuple(lines), state=state, approvals_required=view.version.approvals_required,
        approved_by=approved_by, note=note, buttons=buttons, denied=denied,
        planned_by=view.version.planned_by,
    )


def hours_text(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{delta.total_seconds() / 60:g} min"
