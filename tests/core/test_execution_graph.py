"""Which step waits for which when a plan runs in parallel (bot/execution/graph.py)."""

from __future__ import annotations

from typing import Any

from bot.execution.graph import dependencies
from bot.registry.registry import Registry
from bot.store.tables import StepRow
from tests.core.provider import Provider, slowapi


def step(position: int, action: str, args: dict[str, Any] | None = None, for_each: str | None = None) -> StepRow:
    return StepRow(plan_version_id=1, position=position, step_id=f"s{position}", action=action,
                   args=args or {}, for_each=for_each, effect="", verdict="")


def registry() -> Registry:
    return Registry([slowapi(Provider(), name="a"), slowapi(Provider(), name="b")])


def test_a_step_waits_for_the_steps_it_refers_to_and_nothing_else() -> None:
    steps = [step(1, "a.list_items", {"count": 3}), step(2, "b.read", {"label": "x"}),
             step(3, "a.read", {"label": {"$ref": "s1.items.0.label"}}),
             step(4, "b.read", {"label": {"$ref": "item.label"}}, for_each="s2.items")]
    assert dependencies(steps, registry()) == {"s1": set(), "s2": set(), "s3": {"s1"}, "s4": {"s2"}}


def test_writes_wait_for_the_reads_before_the_first_write_and_for_earlier_writes_to_their_system() -> None:
    steps = [step(1, "a.read", {"label": "x"}), step(2, "b.send", {"label": "one"}),
             step(3, "a.send", {"label": "two"}), step(4, "b.send", {"label": "three"}),
             step(5, "a.read", {"label": "after"})]
    assert dependencies(steps, registry()) == {
        "s1": set(),
        "s2": {"s1"},         # the approval binding is checked against s1 before the first write
        "s3": {"s1"},         # another system: runs beside s2
        "s4": {"s1", "s2"},   # b receives "one" before "three"
        "s5": set(),          # a read after the writes that uses none of them
    }


def test_an_unknown_action_counts_as_a_write() -> None:
    steps = [step(1, "a.read", {"label": "x"}), step(2, "gone.thing"), step(3, "gone.thing")]
    assert dependencies(steps, registry()) == {"s1": set(), "s2": {"s1"}, "s3": {"s1", "s2"}}
