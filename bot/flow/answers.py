"""Turns a step's output into an :class:`Answer` — the data a person asked for — using the
action's declared ``result`` (bot/registry/results.py), or a generic table when an action
declares none (MCP tools, third-party integrations)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from bot.chat.inert import planner_words
from bot.chat.replies import Answer
from bot.planning.refs import iter_refs, root_of
from bot.registry import Registry
from bot.registry.results import ResultColumn, ResultSpec

_GENERIC_COLUMNS = 4


def _at(item: Any, path: str) -> Any:
    value = item
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def money(cents: int, currency: str | None) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}" + (f" {currency.upper()}" if currency else "")


def _cell(item: Any, column: ResultColumn) -> str:
    value = _at(item, column.field)
    if value is None or value == "":
        return ""
    fmt = column.format
    if fmt == "money" and isinstance(value, int | float):
        return money(int(value), _at(item, column.currency) if column.currency else None)
    if fmt in ("date", "datetime", "time") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if fmt == "date":
            return f"{moment:%a %d %b %Y}" if len(value) > 10 else f"{date.fromisoformat(value[:10]):%a %d %b %Y}"
        return f"{moment:%a %d %b %H:%M}" if fmt == "datetime" else f"{moment:%H:%M}"
    if fmt == "hours" and isinstance(value, int | float):
        return f"{value:g} h"
    if fmt == "days" and isinstance(value, int | float):
        return "" if value == 0 else f"{value:g} day{'s' if value != 1 else ''} late"
    if fmt == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return " ".join(str(value).split())


def _total(items: list[Any], column: ResultColumn) -> str:
    values = [_at(i, column.field) for i in items]
    numbers = [v for v in values if isinstance(v, int | float)]
    if not numbers:
        return ""
    if column.format == "money":
        currencies = {_at(i, column.currency) for i in items} if column.currency else {None}
        if len(currencies) > 1:
            per = {c: sum(int(_at(i, column.field) or 0) for i in items if _at(i, column.currency or "") == c)
                   for c in sorted(str(c) for c in currencies)}
            return f"{column.header} " + " + ".join(money(v, c) for c, v in per.items())
        return f"{column.header} {money(int(sum(numbers)), next(iter(currencies)))}"
    if column.format == "hours":
        return f"{column.header} {sum(numbers):g} h"
    return f"{column.header} {sum(numbers):g}"


def _generic(items: list[Any]) -> tuple[list[ResultColumn], ResultSpec]:
    """Columns for an undeclared result: the first few scalar fields of the items."""
    keys: list[str] = []
    for item in items[:5]:
        if isinstance(item, dict):
            keys += [k for k, v in item.items() if isinstance(v, str | int | float | bool) and k not in keys]
    columns = [ResultColumn(field=k) for k in keys[:_GENERIC_COLUMNS]]
    return columns, ResultSpec(noun="item", columns=columns)


def _items(output: Any, spec: ResultSpec | None, for_each: bool) -> list[Any] | None:
    if for_each and isinstance(output, dict) and isinstance(output.get("results"), list):
        return list(output["results"])
    if spec is not None and spec.items:
        found = _at(output, spec.items)
        return list(found) if isinstance(found, list) else None
    if spec is not None:
        return [output]
    if isinstance(output, dict):
        lists = [v for v in output.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return lists[0]
    return None


def answer_for(title: str, output: Any, spec: ResultSpec | None, *, for_each: bool = False,
               run_id: int = 0) -> Answer | None:
    """The step's output as data, or None when there is nothing to tabulate."""
    items = _items(output, spec, for_each)
    if items is None:
        return None
    if spec is None or not spec.columns:
        columns, fallback = _generic(items)
        if not columns:
            return None
        spec = spec.model_copy(update={"columns": columns}) if spec else fallback
    rows = tuple(tuple(_cell(item, c) for c in spec.columns) for item in items)
    count = len(items) if (spec.items or for_each or len(items) != 1) else 1
    total = _total(items, spec.total) if spec.total and len(items) > 1 else ""
    heading = f"{title}: {spec.counted(count)}" if spec.items or for_each else title
    return Answer(title=heading, columns=tuple(c.header for c in spec.columns), rows=rows, total=total,
                  run_id=run_id)


def spec_lookup(registry: Registry) -> Callable[[str], ResultSpec | None]:
    def spec(action: str) -> ResultSpec | None:
        found = registry.spec(action)
        return found.result if found else None
    return spec


def leaf_answers(steps: list[Any], outputs: dict[str, Any], spec_of: Callable[[str], ResultSpec | None],
                 run_id: int) -> tuple[Answer, ...]:
    """Answers for the steps whose output no later step consumes: what the goal asked for
    ("3 reminders sent"), not the look-ups on the way (the invoices they were found from)."""
    used = {root_of(path) for step in steps for path in iter_refs(step.args)}
    used |= {root_of(step.for_each) for step in steps if step.for_each}
    found = []
    for step in steps:
        if step.step_id in used or step.step_id not in outputs:
            continue
        answer = answer_for(planner_words(step.note, step.action), outputs[step.step_id], spec_of(step.action),
                            for_each=bool(step.for_each), run_id=run_id)
        if answer is not None:
            found.append(answer)
    return tuple(found)
