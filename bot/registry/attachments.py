"""Files a plan's steps made for people to see (the browser's screenshots), named by the
``attach`` fields of their actions' manifests. The card of a preview and the result of a
run carry them; each adapter attaches them its own way (Slack file upload, Discord
attachment, a path in the shell)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from bot.registry.registry import Registry

# Discord takes at most 10 files a message; a thread needs no more than that either
MAX_FILES = 10


class _Step(Protocol):
    step_id: str
    action: str


def files_of(registry: Registry, steps: Iterable[_Step], outputs: Mapping[str, Any]) -> tuple[str, ...]:
    """The attachable files in ``outputs``, in step order, that exist on this machine."""
    found: list[str] = []
    for step in steps:
        spec = registry.spec(step.action)
        output = outputs.get(step.step_id)
        if spec is None or not spec.attach or not isinstance(output, dict):
            continue
        records = output["results"] if isinstance(output.get("results"), list) else [output]
        for record in records:
            for name in spec.attach:
                value = record.get(name) if isinstance(record, dict) else None
                if isinstance(value, str) and value not in found and Path(value).is_file():
                    found.append(value)
    return tuple(found[:MAX_FILES])
