"""An audit record's data as JSON gives it back: what the record stores and hashes."""

from __future__ import annotations

import json
from typing import Any


class _NotPlain(Exception):
    pass


def _plain_value(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise _NotPlain
        return {k: _plain_value(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_plain_value(v) for v in value]
    raise _NotPlain


def as_json(data: dict[str, Any]) -> Any:
    """``data`` as JSON gives it back (what the record stores and hashes), without writing it
    out and reading it again when it is made of JSON's own types already (a call's arguments
    and result, nearly always); anything else (dates, enums, models) goes through JSON."""
    try:
        return _plain_value(data)
    except _NotPlain:
        return json.loads(json.dumps(data, default=str))
