"""Failures for the planning benchmark: the same failed call for both sides, and what follows.

A :class:`Failure` names one step of a goal whose call fails with what the integration
answered. Both sides then do the same thing, each its own way:

- the step-by-step loop gets the error as that call's ``tool_result`` (``is_error``), in its
  transcript, and makes the ``rest`` of the calls in further turns (or asks the ``question``);
- plan-first's run stops there; Deputy re-plans with its real re-plan message (the approved
  plan, the completed steps' outputs, the error as the executor words it) and the model
  answers with the ``rest`` as a new plan, numbered from s1 (or asks the ``question``).

When one item of a ``for_each`` fails, the loop gets that call's error among the others'
results in the same turn; Deputy's re-plan request names the items that went through
(``went_through``: the executor records them with the failed step).

Eight of the 22 goals hit a failure, at the first, a middle or the last step: transient
errors retried (one of them one reminder of a fan-out of four), a conflict worked around, a
merged record followed, one question asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.bench_planner_goals import OK, REF, BenchGoal, _events, _invoices, _step, combined


@dataclass(frozen=True)
class Failure:
    step: str  # the step whose (single) call fails
    error: str  # what the integration answered
    rest: list[dict[str, Any]] = field(default_factory=list)  # the steps still to do, from s1
    outputs: dict[str, Any] = field(default_factory=dict)  # rest step id → output
    question: str = ""  # instead of ``rest``: what the model asks the person
    item: int | None = None  # for a ``for_each`` step: the one item whose call fails
    rest_parts: tuple[int, ...] = ()  # ``rest`` as goals asked one after the other (BenchGoal.parts)


FAILURES: dict[str, Failure] = {
    "chase everyone whose invoice is overdue": Failure(
        "s2", "SMTP 451 4.7.1: greylisted, try again later",
        [_step("s1", "send_reminder", {"invoice_id": 42})], {"s1": OK}, item=2),
    "book 30 minutes with Bob and Carol next week": Failure(
        "s3", "409 Conflict: bob@example.com is busy from 2026-12-01T10:00:00+01:00 (booked after the search)",
        [_step("s1", "create_event", {"title": "Sync", "start": "2026-12-02T10:00:00+01:00",
                                      "end": "2026-12-02T10:30:00+01:00",
                                      "attendees": ["bob@example.com", "carol@example.com"]})],
        {"s1": OK}),
    "move Friday's 9:00 meeting to 14:00": Failure(
        "s1", "CalDAV server answered 503 Service Unavailable",
        [_step("s1", "list_events", {"start": "2026-12-04T00:00:00+01:00", "end": "2026-12-05T00:00:00+01:00"}),
         _step("s2", "move_event", {"event_id": {REF: "s1.events.0.id"}, "start": "2026-12-04T14:00:00+01:00",
                                    "end": "2026-12-04T14:30:00+01:00"})],
        {"s1": _events(3), "s2": OK}),
    "record Globex's 1,250 EUR payment on their open invoice": Failure(
        "s2", "invoice 40 is already paid in full: nothing is owed on it",
        question="INV-2026-0040 is already paid; Globex's other open invoice, INV-2026-0041, is for "
                 "1,325 EUR. Record the 1,250 EUR against it?"),
    "invoice Acme for November and send it": Failure(
        "s3", "SMTP 451 4.7.1: greylisted, try again later",
        [_step("s1", "send_invoice", {"invoice_id": 901})], {"s1": OK}),
    "Bob is now CTO: update him and note it": Failure(
        "s2", "contact 100 was merged into contact 104",
        [_step("s1", "update_contact", {"contact_id": 104, "fields": {"title": "CTO"}}),
         _step("s2", "add_note", {"subject": "contact", "subject_id": 104, "body": "Promoted to CTO."})],
        {"s1": OK, "s2": OK}),
    "weekly review: my meetings this week and unbilled time": Failure(
        "s2", "time tracking API answered 502 Bad Gateway",
        [_step("s1", "unbilled_time", {"period_start": "2026-11-30", "period_end": "2026-12-06"})],
        {"s1": {"clients": [{"client_id": 1, "client": "Acme", "minutes": 300}]}}),
    "Initech signed: note it on their company, mark deal 514 won, send their draft invoice": Failure(
        "s4", "invoicing service timed out after 30 s",
        [_step("s1", "list_invoices", {"status": "draft", "client": "Initech"}),
         _step("s2", "send_invoice", {"invoice_id": {REF: "s1.invoices.0.id"}})],
        {"s1": _invoices(1, "draft", "Initech"), "s2": OK}),
}


def combined_failure(goals: list[BenchGoal]) -> Failure | None:
    """The failure of ``combined(goals)``: the first of its goals that has one fails as it
    does alone; what is still to do is that goal's rest, then the goals after it (their
    steps renumbered after the rest's)."""
    offset = 0
    for n, goal in enumerate(goals):
        failure = FAILURES.get(goal.text)
        if failure is None:
            offset += len(goal.steps)
            continue
        step = f"s{int(failure.step[1:]) + offset}"
        if failure.question:
            return Failure(step, failure.error, question=failure.question, item=failure.item)
        later = combined([BenchGoal("", list(failure.rest), dict(failure.outputs)), *goals[n + 1:]])
        return Failure(step, failure.error, later.steps, later.outputs, item=failure.item, rest_parts=later.parts)
    return None
