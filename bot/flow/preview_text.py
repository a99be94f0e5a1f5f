"""What a preview says, in people's terms: the invoices found (number, client, amount), the
items a write will act on by their names rather than database ids, and whether there is
anything to do at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.chat.inert import planner_words
from bot.flow.answers import answer_for
from bot.planning.refs import RefError, is_ref, lookup, root_of
from bot.registry.results import ResultSpec
from bot.store.goals import PlanView
from bot.store.tables import StepRow

SpecOf = Callable[[str], ResultSpec | None]
# rows of a read shown on a card before approval; the rest are counted
PREVIEW_ROWS = 5
MISSING = "$missing"


def read_lines(step: StepRow, output: Any, spec_of: SpecOf) -> list[str]:
    """'step 1 — List overdue invoices: 3 invoices' and its first rows."""
    answer = answer_for(planner_words(step.note, step.action), output, spec_of(step.action), for_each=bool(step.for_each))
    if answer is None:
        return []
    lines = [f"step {step.position} — {answer.title}"]
    lines += ["   " + " · ".join(cell for cell in row if cell) for row in answer.rows[:PREVIEW_ROWS]]
    if len(answer.rows) > PREVIEW_ROWS:
        lines.append(f"   … and {len(answer.rows) - PREVIEW_ROWS} more")
    if answer.total:
        lines.append(f"   total: {answer.total}")
    return lines


def _label(item: Any, spec: ResultSpec | None) -> str:
    """How a person names one item: its first two shown columns ('INV-0001 · Acme Corp')."""
    if spec is not None and spec.columns:
        answer = answer_for("", item, spec.model_copy(update={"items": None}))
        if answer is not None and answer.rows:
            return " · ".join(cell for cell in answer.rows[0][:2] if cell)
    if isinstance(item, dict):
        for key in ("name", "title", "number", "email", "client"):
            if isinstance(item.get(key), str):
                return item[key]
    return str(item)[:60]


def _items_of(step: StepRow, outputs: Mapping[str, Any]) -> list[Any] | None:
    if not step.for_each or root_of(step.for_each) not in outputs:
        return None
    try:
        found = lookup(step.for_each, outputs)
    except RefError:
        return None
    return found if isinstance(found, list) else None


def write_lines(view: PlanView, writes: Mapping[str, Any], outputs: Mapping[str, Any],
                spec_of: SpecOf) -> list[str]:
    """For each write: the items it will act on, by name, and the values it took from reads
    (times, addresses), never bare database ids."""
    by_id = {s.step_id: s for s in view.steps}
    lines = []
    for step in view.steps:
        if step.step_id not in writes:
            continue
        what = planner_words(step.note, step.action)
        items = _items_of(step, outputs)
        if items is not None:
            if items:
                source = by_id.get(root_of(step.for_each or ""))
                spec = spec_of(source.action) if source else None
                inner = _inner_spec(spec)
                names = "; ".join(_label(i, inner) for i in items[:PREVIEW_ROWS])
                more = f"; and {len(items) - PREVIEW_ROWS} more" if len(items) > PREVIEW_ROWS else ""
                lines.append(f"step {step.position} — {what}: {len(items)}× — {names}{more}")
            continue
        calls = writes[step.step_id]
        calls = calls if isinstance(calls, list) else [calls]
        values = [_shown(step.args, c) for c in calls if isinstance(c, dict)]
        values = [v for v in values if v]
        if values:
            shown = "; ".join(", ".join(f"{k} {v}" for k, v in c.items()) for c in values[:PREVIEW_ROWS])
            lines.append(f"step {step.position} — {what}: {shown}"[:400])
    return lines


def _inner_spec(spec: ResultSpec | None) -> ResultSpec | None:
    """The spec of one item of a read's list (the read's columns describe its items)."""
    return spec.model_copy(update={"items": None}) if spec is not None and spec.items else spec


def _shown(template: dict[str, Any], resolved: dict[str, Any]) -> dict[str, Any]:
    """Values a write took from earlier steps, leaving out database ids nobody recognises."""
    found = {}
    for key, value in resolved.items():
        if key not in template or template[key] == value or is_ref(value):
            continue
        if isinstance(value, dict) and MISSING in value:
            continue
        if key == "id" or key.endswith("_id") or key.endswith("_ids"):
            continue
        found[key.replace("_", " ")] = ", ".join(map(str, value)) if isinstance(value, list) else value
    return found


def nothing_to_do(view: PlanView, writes: Mapping[str, Any], outputs: Mapping[str, Any]) -> list[str]:
    """Writes that would run for no item at all ("nobody is overdue"): asking to approve them
    would ask people to approve nothing."""
    found = []
    for step in view.steps:
        if step.step_id in writes and _items_of(step, outputs) == []:
            source = {s.step_id: s for s in view.steps}.get(root_of(step.for_each or ""))
            looked = planner_words(source.note, source.action) if source else "the look-up"
            found.append(f"{looked[:1].upper()}{looked[1:]} found nothing, so “{planner_words(step.note, step.action)}” has nothing to do")
    return found
