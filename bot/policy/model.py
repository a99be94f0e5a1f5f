"""Policy files as typed data, validated on load with the line of the offending rule."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain import Effect


class PolicyError(Exception):
    """A policy file is invalid; the message names the file, the line and the problem."""


class Verdict(StrEnum):
    ALLOW = "allow"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Match(BaseModel):
    model_config = ConfigDict(extra="forbid")

    integration: list[str] | None = None
    action: list[str] | None = None  # integration.action or bare action name
    effect: list[Effect] | None = None

    _lists = field_validator("integration", "action", "effect", mode="before")(_as_list)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    match: Match = Field(default_factory=Match)
    verdict: Verdict
    approvals: int = Field(1, ge=1, le=10)
    requester_may_approve: bool = True
    approvers: list[str] = Field(default_factory=list, description="Group names; empty = anyone.")
    reason: str = ""


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    default: Verdict = Verdict.DENY
    groups: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    source: str = ""

    def members(self, group: str) -> set[str]:
        return set(self.groups.get(group, []))


class _LineLoader(yaml.SafeLoader):
    """Remembers the line each mapping starts on, for error messages."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _line_of(raw: Any, loc: tuple[Any, ...]) -> int | None:
    line = raw.get("__line__") if isinstance(raw, dict) else None
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "__line__" in node:
            line = node["__line__"]
    return line


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise PolicyError(f"{source}, {where}: not valid YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{source}: a policy must be a mapping with `rules:`")
    try:
        policy = Policy.model_validate({**_strip_lines(raw), "source": source})
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        line = _line_of(raw, loc)
        path = ".".join(str(p) for p in loc)
        where = f"line {line}" if line else "?"
        raise PolicyError(f"{source}, {where}: {path}: {first['msg']}") from None
    names = [r.name for r in policy.rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PolicyError(f"{source}: duplicate rule names: {', '.join(dupes)}")
    for rule in policy.rules:
        unknown = [g for g in rule.approvers if g not in policy.groups]
        if unknown:
            raise PolicyError(f"{source}: rule {rule.name!r} names unknown group(s): {', '.join(unknown)}")
    return policy


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text()
    except OSError as err:
        raise PolicyError(f"{path}: cannot read the policy file: {err.strerror}") from None
    return parse_policy(text, str(path))
