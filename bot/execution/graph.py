"""Which steps of a plan wait for which: the dependency graph the executor runs in parallel.

A step waits for
- every step its arguments or its ``for_each`` refer to (``{"$ref": "s1.items"}``): it needs
  the output;
- if it writes, every read placed before the plan's first write: the approval binding is
  checked before the first write against the values those reads return now, exactly as when
  steps ran one by one;
- if it writes, every earlier write to the same integration: what one system receives keeps
  the order of the plan (two messages to a channel arrive as planned), and a failure there
  stops the later ones before they are sent.
Everything else runs as soon as a slot is free. The items of one ``for_each`` step are
independent calls and run concurrently (bounded by the integration's ``max_concurrency``).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Effect
from bot.planning.refs import ITEM, iter_refs, root_of
from bot.registry import Registry
from bot.store.tables import StepRow


def is_write(registry: Registry, action: str) -> bool:
    spec = registry.spec(action)
    return spec is None or spec.effect is not Effect.READ


def referenced(step: StepRow) -> set[str]:
    roots = {root_of(path) for path in iter_refs(step.args)}
    if step.for_each:
        roots.add(root_of(step.for_each))
    roots.discard(ITEM)
    return roots


def dependencies(steps: Sequence[StepRow], registry: Registry) -> dict[str, set[str]]:
    """step id → the ids of the steps it waits for (only steps of this plan)."""
    ordered = sorted(steps, key=lambda s: s.position)
    ids = {s.step_id for s in ordered}
    writes = [s for s in ordered if is_write(registry, s.action)]
    first_write = writes[0].position if writes else None
    frontier = {s.step_id for s in ordered
                if first_write is not None and s.position < first_write}
    graph: dict[str, set[str]] = {}
    for step in ordered:
        waits = referenced(step) & ids
        if is_write(registry, step.action):
            integration = step.action.split(".", 1)[0]
            waits |= frontier
            waits |= {w.step_id for w in writes if w.position < step.position
                      and w.action.split(".", 1)[0] == integration}
        waits.discard(step.step_id)
        graph[step.step_id] = waits
    return graph
