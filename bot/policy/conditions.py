"""Argument conditions: a small closed set of operators, parsed from YAML, never ``eval``.

A condition is ``{arg: amount_cents, op: ">", value: 100000}`` or the compact string
``"amount_cents > 100000"``. ``arg`` may be a dotted path into nested arguments
(``customer.email``). A value that holds a ``{"$ref": ...}`` (an earlier step's output, or
``item`` of a ``for_each``) is unknown when the plan is made: the condition is UNKNOWN and
the evaluator reads it the cautious way (see evaluate.py).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from bot.policy.truth import Check, Truth

_REF = "$ref"
_MISSING = object()


class Unknown(Exception):
    """The value depends on a step that has not run yet."""


def _is_ref(value: Any) -> bool:
    return isinstance(value, dict) and _REF in value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return float(value)


def _compare(fn: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, wanted: Any) -> bool:
        try:
            return fn(_number(actual), _number(wanted))
        except TypeError:
            return False  # a non-number never satisfies an ordering; the loader checked `value`
    return check


def _domain_of(address: str) -> str:
    address = address.strip().rstrip(">")
    return address.rsplit("@", 1)[-1].lower() if "@" in address else ""


def _in_domains(domain: str, domains: list[str]) -> bool:
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in domains)


def _addresses(value: Any) -> list[Any]:
    """The addresses in an argument: a string, a list of strings, or objects with ``email``."""
    items = value if isinstance(value, list) else [value]
    found: list[Any] = []
    for item in items:
        if isinstance(item, dict) and not _is_ref(item):
            item = item.get("email", "")
        found.append(item)
    return found


def _domains_check(outside: bool) -> Callable[[Any, Any], bool]:
    def check(actual: Any, wanted: Any) -> bool:
        known, unknown = [], False
        for address in _addresses(actual):
            if _is_ref(address):
                unknown = True
            elif isinstance(address, str) and address:
                known.append(not _in_domains(_domain_of(address), wanted))
        if outside and any(known):
            return True  # one known outsider is enough, whatever the unknown ones are
        if unknown:
            raise Unknown
        return any(known) if outside else bool(known) and not any(known)
    return check


def _count(actual: Any) -> int:
    if _is_ref(actual):
        raise Unknown
    return len(actual) if isinstance(actual, list | dict | str) else 0


def _contains(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, list):
        if any(_is_ref(x) for x in actual) and wanted not in actual:
            raise Unknown
        return wanted in actual
    return isinstance(actual, str) and str(wanted) in actual


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, w: a == w,
    "!=": lambda a, w: a != w,
    ">": _compare(lambda a, w: a > w),
    ">=": _compare(lambda a, w: a >= w),
    "<": _compare(lambda a, w: a < w),
    "<=": _compare(lambda a, w: a <= w),
    "in": lambda a, w: a in w,
    "not_in": lambda a, w: a not in w,
    "contains": _contains,
    "matches": lambda a, w: isinstance(a, str) and fnmatch.fnmatchcase(a, w),
    "outside_domains": _domains_check(outside=True),
    "inside_domains": _domains_check(outside=False),
    "count_gt": lambda a, w: _count(a) > w,
    "count_gte": lambda a, w: _count(a) >= w,
    "count_lt": lambda a, w: _count(a) < w,
    "exists": lambda a, w: True,
}
_NUMERIC = {">", ">=", "<", "<=", "count_gt", "count_gte", "count_lt"}
_LISTS = {"in", "not_in", "outside_domains", "inside_domains"}
_COUNT_WORDS = {"count_gte": "at least", "count_gt": "more than", "count_lt": "fewer than"}
# operators whose argument may be a list containing references: they look inside themselves
_LOOKS_INSIDE = {"outside_domains", "inside_domains", "contains"}


def parse_compact(text: str) -> dict[str, Any]:
    """``"amount_cents > 100000"`` → ``{arg, op, value}``; the value is read as a YAML scalar or list."""
    parts = text.split(None, 2)
    if len(parts) == 2 and parts[1] == "exists":
        return {"arg": parts[0], "op": "exists", "value": None}
    if len(parts) != 3:
        raise ValueError(f"condition {text!r}: expected `ARG OP VALUE`, e.g. `amount_cents > 100000`")
    arg, op, raw = parts
    value = yaml.safe_load(raw)
    if op in _LISTS and isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    return {"arg": arg, "op": op, "value": value}


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    arg: str
    op: str
    value: Any = None

    @model_validator(mode="before")
    @classmethod
    def _compact(cls, data: Any) -> Any:
        return parse_compact(data) if isinstance(data, str) else data

    @model_validator(mode="after")
    def _check(self) -> Condition:
        if self.op not in OPERATORS:
            raise ValueError(f"unknown operator {self.op!r}; use one of {', '.join(OPERATORS)}")
        if self.op in _NUMERIC and (isinstance(self.value, bool) or not isinstance(self.value, int | float)):
            raise ValueError(f"operator {self.op!r} needs a number, not {self.value!r}")
        if self.op in _LISTS and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a list of values")
        return self

    def describe(self) -> str:
        return f"{self.arg} {self.op}" if self.op == "exists" else f"{self.arg} {self.op} {_show(self.value)}"

    def evaluate(self, args: dict[str, Any]) -> Check:
        try:
            actual = _lookup(args, self.arg)
            if actual is _MISSING:
                return Check(Truth.FALSE, f"{self.arg} is not given")
            if _is_ref(actual) or (_holds_ref(actual) and self.op not in _LOOKS_INSIDE
                                   and not self.op.startswith("count")):
                raise Unknown
            matched = OPERATORS[self.op](actual, self.value)
        except Unknown:
            return Check(Truth.UNKNOWN, f"{self.arg} is not known until an earlier step runs")
        shown = f"{self.arg} {_show(actual)}" if not self.op.startswith("count") else \
            f"{self.arg} has {_count(actual)},"
        wanted = self.describe().removeprefix(self.arg + " ")
        for op, words in _COUNT_WORDS.items():
            wanted = wanted.replace(op, words)
        if self.op == "exists":
            return Check(Truth.TRUE if matched else Truth.FALSE, f"{self.arg} is given")
        verb = wanted if matched else f"not {wanted}"
        return Check(Truth.TRUE if matched else Truth.FALSE, f"{shown} {verb}")


def _lookup(args: dict[str, Any], path: str) -> Any:
    value: Any = args
    for part in path.split("."):
        if _is_ref(value):
            raise Unknown
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


def _holds_ref(value: Any) -> bool:
    if _is_ref(value):
        return True
    if isinstance(value, dict):
        return any(_holds_ref(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_ref(v) for v in value)
    return False


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, str):
        return value if len(value) <= 60 else value[:57] + "..."
    return str(value)
