"""Digest templates (no eval) and the three conditions."""

from __future__ import annotations

from bot.scheduling.model import PostWhen
from bot.scheduling.post_when import findings, fingerprint, should_post
from bot.scheduling.template import MAX_ITEMS, render

OUTPUTS = {"s1": {"invoices": [{"number": "INV-1", "client": "Acme", "days_overdue": 12},
                               {"number": "INV-2", "client": "Globex", "days_overdue": 3}],
                  "count": 2, "outstanding_cents": 150000}}


def test_template_renders_values_counts_sums_and_items() -> None:
    lines = render(["{s1.invoices|count} overdue, {s1.outstanding_cents} cents",
                    "each s1.invoices: {number} {client} ({days_overdue} days)",
                    "total {s1.invoices|sum:days_overdue} days"], OUTPUTS)
    assert lines == ["2 overdue, 150000 cents", "INV-1 Acme (12 days)", "INV-2 Globex (3 days)",
                     "total 15 days"]


def test_template_cannot_reach_attributes_or_evaluate() -> None:
    lines = render(["{s1.__class__}", "{s1.invoices.0.number.__len__}", "{__import__('os')}"], OUTPUTS)
    assert lines == ["?", "?", "{__import__('os')}"]


def test_long_lists_are_cut_with_a_count() -> None:
    many = {"s1": {"items": [{"n": i} for i in range(MAX_ITEMS + 5)]}}
    lines = render(["each s1.items: {n}"], many)
    assert lines[-1] == "… and 5 more" and len(lines) == MAX_ITEMS + 1


def test_conditions() -> None:
    empty = {"s1": {"invoices": [], "count": 0}}
    assert should_post(PostWhen.ALWAYS, empty, "")
    assert not should_post(PostWhen.NON_EMPTY, empty, "")
    assert should_post(PostWhen.NON_EMPTY, OUTPUTS, "")
    assert findings(OUTPUTS) == 2
    assert should_post(PostWhen.CHANGED, OUTPUTS, fingerprint(empty))
    assert not should_post(PostWhen.CHANGED, OUTPUTS, fingerprint(OUTPUTS))
