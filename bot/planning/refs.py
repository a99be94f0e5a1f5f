"""References between steps: ``{"$ref": "s1.invoices"}``, ``{"$ref": "item.id"}``.

A path is dot-separated; list elements are addressed by index (``s1.slots.0.start``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

REF_KEY = "$ref"
ITEM = "item"


class RefError(ValueError):
    pass


def is_ref(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {REF_KEY} and isinstance(value[REF_KEY], str)


def iter_refs(value: Any) -> Iterator[str]:
    """Every reference path inside an argument value, depth first."""
    if is_ref(value):
        yield value[REF_KEY]
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_refs(item)


def root_of(path: str) -> str:
    return path.split(".", 1)[0]


def lookup(path: str, scope: Mapping[str, Any]) -> Any:
    """Follow ``path`` through ``scope`` (step id or ``item`` → output)."""
    parts = path.split(".")
    if parts[0] not in scope:
        raise RefError(f"reference {path!r}: no output named {parts[0]!r}")
    value = scope[parts[0]]
    for part in parts[1:]:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            raise RefError(f"reference {path!r}: {part!r} is not in the output")
    return value


def resolve(value: Any, scope: Mapping[str, Any]) -> Any:
    """A copy of ``value`` with every reference replaced by what it points to."""
    if is_ref(value):
        return lookup(value[REF_KEY], scope)
    if isinstance(value, dict):
        return {k: resolve(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    return value
