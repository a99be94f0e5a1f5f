"""Argument conditions: a small closed set of operators, parsed from YAML, never ``eval``.

A condition is ``{arg: amount_cents, op: ">", value: 100000}`` or the compact string
``"amount_cents > 100000"``. ``arg`` may be a dotted path into nested arguments
(``customer.email``). A value that holds a ``{"$ref": ...}`` (an earlier step's output, or
``item`` of a ``for_each``) is unknown when the plan is made: the condition is UNKNOWN and
the evaluator reads it the cautious way (see evaluate.py).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from bot.lazy_re import lazy
from bot.policy.truth import Check, Truth

_REF = "$ref"
MISSING = object()  # what lookup_path returns for a path the arguments lack


class Unknown(Exception):
    """The value depends on a step that has not run yet."""


def is_ref(value: Any) -> bool:
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
        if isinstance(item, dict) and not is_ref(item):
            item = item.get("email", "")
        found.append(item)
    return found


def _domains_check(outside: bool) -> Callable[[Any, Any], bool]:
    def check(actual: Any, wanted: Any) -> bool:
        known, unknown = [], False
        for address in _addresses(actual):
            if is_ref(address):
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
    if is_ref(actual):
        raise Unknown
    return len(actual) if isinstance(actual, list | dict | str) else 0


def _contains(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, list):
        if any(is_ref(x) for x in actual) and wanted not in actual:
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


_TOTAL = lazy(r"^\s*(sum|count)\s*\((.*)\)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")
TOTAL_OPS = {">", ">=", "<", "<=", "==", "!="}


def _parse_total(kind: str, inside: str, op: str, raw: Any) -> dict[str, Any]:
    """``sum(amount) > 100000`` / ``count(to outside_domains acme.example) > 0`` / ``count(*) > 5``."""
    inside = inside.strip()
    if not inside:
        raise ValueError(f"{kind}() needs an argument name, e.g. {kind}(amount_cents)")
    value = yaml.safe_load(raw) if isinstance(raw, str) else raw
    if kind == "sum" or inside == "*" or len(inside.split()) == 1:
        if kind == "sum" and inside == "*":
            raise ValueError("sum(*) has nothing to add up: name an argument, e.g. sum(amount_cents)")
        return {"total": kind, "arg": inside, "op": op, "value": value}
    inner = parse_compact(inside)
    return {"total": kind, "arg": inner["arg"], "op": op, "value": value,
            "inner_op": inner["op"], "inner_value": inner["value"]}


def parse_compact(text: str) -> dict[str, Any]:
    """``"amount_cents > 100000"`` → ``{arg, op, value}``; the value is read as a YAML scalar or list.
    ``"sum(ARG) OP N"`` and ``"count(ARG [OP VALUE]) OP N"`` are totals over the plan (totals.py)."""
    total = _TOTAL.match(text)
    if total:
        return _parse_total(total.group(1), total.group(2), total.group(3), total.group(4))
    if re.match(r"^\s*(sum|count)\s*\(", text):
        raise ValueError(f"condition {text!r}: a total reads `sum(ARG) OP NUMBER` or `count(ARG) OP NUMBER` "
                         f"with OP one of {', '.join(sorted(TOTAL_OPS))}, e.g. `sum(amount_cents) > 100000`")
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


class RuleCondition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    arg: str
    op: str
    value: Any = None
    # a total over every call of the plan the rule selects (bot/policy/totals.py): ``sum`` of
    # ``arg``, or ``count`` of its values (those meeting ``inner_op inner_value`` when given)
    total: Literal["sum", "count"] | None = None
    inner_op: str | None = None
    inner_value: Any = None

    @model_validator(mode="before")
    @classmethod
    def _compact(cls, data: Any) -> Any:
        if isinstance(data, str):
            return parse_compact(data)
        if isinstance(data, dict) and ("sum" in data or "count" in data) and "total" not in data:
            kind = "sum" if "sum" in data else "count"
            rest = {k: v for k, v in data.items() if k not in (kind, "op", "value")}
            if rest:
                raise ValueError(f"unexpected key(s) in a {kind} condition: {', '.join(rest)}")
            return _parse_total(kind, str(data[kind]), data.get("op", ""), data.get("value"))
        return data

    @model_validator(mode="after")
    def _check(self) -> RuleCondition:
        if self.total is not None:
            return self._check_total()
        if self.op not in OPERATORS:
            raise ValueError(f"unknown operator {self.op!r}; use one of {', '.join(OPERATORS)}")
        if self.op in _NUMERIC and (isinstance(self.value, bool) or not isinstance(self.value, int | float)):
            raise ValueError(f"operator {self.op!r} needs a number, not {self.value!r}")
        if self.op in _LISTS and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a list of values")
        return self

    def _check_total(self) -> RuleCondition:
        if self.op not in TOTAL_OPS:
            raise ValueError(f"{self.total}(): compare with one of {', '.join(sorted(TOTAL_OPS))}, not {self.op!r}")
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise ValueError(f"{self.total}() must be compared with a number, not {self.value!r}")
        if self.inner_op is not None:
            RuleCondition(arg=self.arg, op=self.inner_op, value=self.inner_value)  # same checks as a plain one
        return self

    def describe(self) -> str:
        if self.total is not None:
            inside = self.arg if self.inner_op is None else \
                RuleCondition(arg=self.arg, op=self.inner_op, value=self.inner_value).describe()
            return f"{self.total}({inside}) {self.op} {show_value(self.value)}"
        return f"{self.arg} {self.op}" if self.op == "exists" else f"{self.arg} {self.op} {show_value(self.value)}"

    def evaluate(self, args: dict[str, Any]) -> Check:
        """A plain condition on one step's arguments. A total (``sum(…)``, ``count(…)``) is
        taken over the plan's calls instead: bot/policy/totals.py, ``evaluate_total``."""
        if self.total is not None:
            raise ValueError(f"{self.describe()} is a total: evaluate it over the plan's calls")
        try:
            actual = lookup_path(args, self.arg)
            if actual is MISSING:
                return Check(Truth.FALSE, f"{self.arg} is not given")
            if is_ref(actual) or (holds_ref(actual) and self.op not in _LOOKS_INSIDE
                                   and not self.op.startswith("count")):
                raise Unknown
            matched = OPERATORS[self.op](actual, self.value)
        except Unknown:
            return Check(Truth.UNKNOWN, f"{self.arg} is not known until an earlier step runs")
        shown = f"{self.arg} {show_value(actual)}" if not self.op.startswith("count") else \
            f"{self.arg} has {_count(actual)},"
        wanted = self.describe().removeprefix(self.arg + " ")
        for op, words in _COUNT_WORDS.items():
            wanted = wanted.replace(op, words)
        if self.op == "exists":
            return Check(Truth.TRUE if matched else Truth.FALSE, f"{self.arg} is given")
        verb = wanted if matched else f"not {wanted}"
        return Check(Truth.TRUE if matched else Truth.FALSE, f"{shown} {verb}")


def lookup_path(args: dict[str, Any], path: str) -> Any:
    value: Any = args
    for part in path.split("."):
        if is_ref(value):
            raise Unknown
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


def holds_ref(value: Any) -> bool:
    if is_ref(value):
        return True
    if isinstance(value, dict):
        return any(holds_ref(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_ref(v) for v in value)
    return False


def show_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    if isinstance(value, str):
        return value if len(value) <= 60 else value[:57] + "..."
    return str(value)
