"""Undo: after a run, the steps whose actions declare an undo offer an Undo button.

What undoes what is data: a manifest action names its ``undo`` action and ``undo_args``,
a template over the call it undoes — ``"$args.event_id"`` (an argument it was called with),
``"$result.previous.start"`` (a field of what it returned), and ``"$merge": "$result.previous"``
(merge a returned mapping into the arguments). The undo becomes a new goal in the same
thread whose plan goes through the policy like any other; the person who clicked is its
requester (it runs with their credentials). One undo per run: the goal's source id is
``undo:<run>``, which the goals table keeps unique.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.chat.buttons import ButtonId
from bot.chat.replies import Button
from bot.domain import RunStatus, Step, StepStatus
from bot.flow.cards import hours_text
from bot.planning.refs import RefError, lookup
from bot.store.goals import PlanView
from bot.store.tables import RunRow, StepResultRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

MERGE = "$merge"


def fill(template: Any, call: Mapping[str, Any]) -> Any:
    """The undo arguments for one call ({"args": ..., "result": ...}); RefError when a
    field the template names is not there."""
    if isinstance(template, str) and template.startswith("$"):
        return lookup(template[1:], call)
    if isinstance(template, dict):
        filled: dict[str, Any] = {}
        for key, value in template.items():
            if key == MERGE:
                merged = fill(value, call)
                if not isinstance(merged, dict):
                    raise RefError(f"{value!r} is not a mapping")
                filled.update(merged)
            else:
                filled[key] = fill(value, call)
        return filled
    if isinstance(template, list):
        return [fill(v, call) for v in template]
    return template


def _calls(step_result: StepResultRow, for_each: bool) -> list[tuple[Any, Any]]:
    if not for_each:
        return [(step_result.args, step_result.result)]
    outputs = step_result.result.get("results", []) if isinstance(step_result.result, dict) else []
    return list(zip(step_result.args or [], outputs, strict=False))


def undo_steps(app: Deputy, view: PlanView, results: Mapping[str, StepResultRow]) -> list[Step]:
    """The undo of every succeeded call that can be undone, latest first."""
    steps: list[Step] = []
    for row in reversed(view.steps):
        done = results.get(row.step_id)
        spec = app.registry.spec(row.action)
        if done is None or done.status != StepStatus.SUCCEEDED or spec is None \
                or not spec.undo or spec.undo_args is None:
            continue
        integration = row.action.split(".", 1)[0]
        for args, output in _calls(done, bool(row.for_each)):
            try:
                undo_args = fill(spec.undo_args, {"args": args, "result": output})
            except RefError:
                continue  # this call returned nothing to undo with (e.g. an old result shape)
            if any(v in ({}, []) for v in undo_args.values()):
                continue  # nothing changed, so nothing to put back
            steps.append(Step(id=f"s{len(steps) + 1}", action=f"{integration}.{spec.undo}",
                              args=undo_args, note=f"Undo step {row.position} ({row.action})"))
    return steps


def source_id(run_id: int) -> str:
    return f"undo:{run_id}"


def undo_buttons(app: Deputy, view: PlanView, run: RunRow | None,
                 results: Mapping[str, StepResultRow], undone: bool) -> tuple[Button, ...]:
    """An Undo button for a succeeded run within the window that has something to undo
    (``undone``: whether a goal undoing it exists already, :func:`source_id`)."""
    if run is None or run.id is None or run.status != RunStatus.SUCCEEDED or view.plan.id is None:
        return ()
    if window_problem(app, run) or not undo_steps(app, view, results) or undone:
        return ()
    return (Button(str(ButtonId(view.plan.id, view.version.version, "undo")), "Undo"),)


def window_problem(app: Deputy, run: RunRow) -> str | None:
    window: timedelta = app.settings.undo_window
    if run.finished_at is None or app.clock() > run.finished_at + window:
        return (f"Run {run.id} finished more than {hours_text(window)} ago, so it can no longer "
                "be undone from here; nothing was changed.")
    return None


