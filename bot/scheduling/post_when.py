"""Whether a finished monitor run is worth posting."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.scheduling.model import PostWhen


def fingerprint(outputs: dict[str, Any]) -> str:
    body = json.dumps(outputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def findings(outputs: dict[str, Any]) -> int:
    """How many items the run found: the lengths of the lists in each step's output (top
    level of the output, or one level down, e.g. ``{"invoices": [...]}``)."""
    total = 0
    for output in outputs.values():
        if isinstance(output, list):
            total += len(output)
        elif isinstance(output, dict):
            total += sum(len(v) for v in output.values() if isinstance(v, list))
    return total


def should_post(condition: PostWhen, outputs: dict[str, Any], last_fingerprint: str) -> bool:
    if condition is PostWhen.ALWAYS:
        return True
    if condition is PostWhen.NON_EMPTY:
        return findings(outputs) > 0
    return fingerprint(outputs) != last_fingerprint
