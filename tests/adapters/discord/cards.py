"""Neutral replies as the core would build them, for the adapter tests."""

from __future__ import annotations

from typing import Any

from bot.chat.buttons import ButtonId
from bot.chat.replies import Button, CardState, PlanCard, StepLine, StepState


def plan_card(
    plan_id: int = 7, version: int = 1, state: CardState = CardState.AWAITING, done: int = 0
) -> PlanCard:
    steps = (
        StepLine(
            number=1,
            step_id="s1",
            action="crm.find_clients",
            description="Find clients billed monthly",
            shown_args={"segment": "monthly"},
            args={"segment": "monthly"},
            effect="read",
            verdict="allow",
            reason="",
            state=StepState.DONE if done >= 1 else StepState.PENDING,
        ),
        StepLine(
            number=2,
            step_id="s2",
            action="invoicing.create_invoice",
            description="Invoice each client",
            shown_args={"customer": "← step 1 clients", "amount": 120, "month": "March"},
            args={"customer": {"$ref": "item.id"}, "amount": 120, "month": "March"},
            effect="write",
            verdict="require_approval",
            reason="writes need finance",
        ),
    )
    buttons: tuple[Button, ...] = ()
    if state is CardState.AWAITING:
        buttons = (
            Button(str(ButtonId(plan_id, version, "approve")), "Approve", "primary"),
            Button(str(ButtonId(plan_id, version, "modify")), "Modify"),
            Button(str(ButtonId(plan_id, version, "reject")), "Reject", "danger"),
        )
    return PlanCard(
        goal_id=3,
        plan_id=plan_id,
        version=version,
        goal_text="invoice every client for March",
        requester="Alice",
        summary="Invoice monthly clients for March",
        steps=steps,
        state=state,
        approvals_required=1,
        buttons=buttons,
    )


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]
