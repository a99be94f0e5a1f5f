"""YAML with line numbers, so every policy error names the line a person has to fix."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from bot.errors import PolicyError

LINE = "__line__"


# libyaml's parser when PyYAML was built with it: the pure-Python one costs most of a second
# of start-up on the bundled files
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    """Remembers the line each mapping starts on, for error messages."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_with_lines(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise PolicyError(f"{source}, {where}: not valid YAML: {getattr(err, 'problem', err)}") from None


def strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def line_of(raw: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the innermost mapping on the path ``loc`` (a pydantic error location)."""
    line = raw.get(LINE) if isinstance(raw, dict) else None
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and LINE in node:
            line = node[LINE]
    return line


def validation_message(err: ValidationError, raw: Any, source: str) -> str:
    first = err.errors()[0]
    loc = tuple(first["loc"])
    line = line_of(raw, loc)
    path = ".".join(str(p) for p in loc)
    where = f"line {line}" if line else "?"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{source}, {where}: {path}: {message}"
