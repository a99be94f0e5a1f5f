"""Neutral replies as the core would build them."""

from __future__ import annotations

from bot.chat.replies import Button, CardState, PlanCard, StepLine, StepState


def step(number: int, **overrides: object) -> StepLine:
    values: dict[str, object] = {
        "number": number, "step_id": f"s{number}", "action": "local.create_invoice",
        "description": "Create an invoice", "shown_args": {"client": "Acme", "amount": 1200},
        "args": {"client": "Acme", "amount": 1200, "lines": {"$ref": "s1.lines"}},
        "effect": "write", "verdict": "require_approval", "reason": "writes need one approval",
    }
    values.update(overrides)
    return StepLine(**values)  # type: ignore[arg-type]


def card(count: int = 2, version: int = 1, state: CardState = CardState.AWAITING, **overrides: object) -> PlanCard:
    values: dict[str, object] = {
        "goal_id": 3, "plan_id": 7, "version": version, "goal_text": "invoice every client for March",
        "requester": "anna.b", "summary": "Invoice 2 clients", "steps": tuple(step(n + 1) for n in range(count)),
        "state": state, "approvals_required": 1,
        "buttons": (
            Button(f"deputy:7:{version}:approve", "Approve", "primary"),
            Button(f"deputy:7:{version}:modify", "Modify"),
            Button(f"deputy:7:{version}:reject", "Reject", "danger"),
        ),
    }
    values.update(overrides)
    return PlanCard(**values)  # type: ignore[arg-type]


def running(card_: PlanCard) -> PlanCard:
    steps = (
        step(1, state=StepState.DONE, detail="3 invoices"),
        *(step(s.number, state=StepState.RUNNING) for s in card_.steps[1:]),
    )
    return PlanCard(**{**card_.__dict__, "steps": steps, "state": CardState.RUNNING, "buttons": ()})
