"""A digest template: a list of lines with ``{placeholders}``, rendered without eval.

* ``{s1.count}`` — a value looked up by dotted path in the run's outputs (dict keys and
  list indexes only; no attributes, no calls, no format specs);
* ``{s1.invoices|count}`` — the length of a list; ``{s1.invoices|sum:amount_cents}`` — a sum;
* a line ``each s1.invoices: {number} {client} ({days_overdue} days)`` — one line per item
  (at most :data:`MAX_ITEMS`), whose placeholders look up the item's fields.

A missing value renders as "?" so a changed integration output degrades, never crashes.
"""

from __future__ import annotations

import re
from typing import Any

from bot.lazy_re import lazy

MAX_ITEMS = 15
MAX_VALUE = 200
_PLACEHOLDER = lazy(r"\{([A-Za-z0-9_.\-]+)(?:\|([a-z]+)(?::([A-Za-z0-9_]+))?)?\}")
_EACH = lazy(r"^each\s+([A-Za-z0-9_.\-]+)\s*:\s?(.*)$")
_MISSING = object()


def lookup(data: Any, path: str) -> Any:
    current = data
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit() and -len(current) <= int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _show(value: Any) -> str:
    if value is _MISSING or value is None:
        return "?"
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _apply(value: Any, op: str | None, arg: str | None) -> Any:
    if op is None or value is _MISSING:
        return value
    if op == "count":
        return len(value) if isinstance(value, list | dict) else _MISSING
    if op == "sum" and isinstance(value, list) and arg:
        numbers = [item.get(arg) for item in value if isinstance(item, dict)]
        return sum(n for n in numbers if isinstance(n, int | float))
    return _MISSING


def render_line(line: str, data: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        path, op, arg = match.group(1), match.group(2), match.group(3)
        return _show(_apply(lookup(data, path), op, arg))

    return _PLACEHOLDER.sub(replace, line)


def render(template: list[str], outputs: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for line in template:
        each = _EACH.match(line)
        if each is None:
            lines.append(render_line(line, outputs))
            continue
        items = lookup(outputs, each.group(1))
        if not isinstance(items, list):
            lines.append("?")
            continue
        for item in items[:MAX_ITEMS]:
            lines.append(render_line(each.group(2), item))
        if len(items) > MAX_ITEMS:
            lines.append(f"… and {len(items) - MAX_ITEMS} more")
    return lines
