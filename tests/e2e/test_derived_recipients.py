"""On Stripe: the invoice goes to the customer's email on file, which the plan's arguments do
not say. If it changes between creating the invoice and sending it, the invoice is not sent."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.dispatch import dispatch
from bot.domain import RunStatus
from bot.execution.worker import Worker
from bot.store.tables import RunRow
from tests.approvals.conftest import click
from tests.e2e.conftest import STRIPE_KEY, World, stripe_customer

THIEF = "payables@attacker.example"


async def test_a_stripe_customer_email_changed_mid_run_stops_the_send(world: World) -> None:
    acme = stripe_customer(world.stripe, "Acme Corp", "billing@acme.example")
    assert "Connected invoicing" in await world.connect("invoicing", STRIPE_KEY)
    card = await world.chat.say("invoice Acme for last month")
    assert "invoicing.send_invoice" in card
    assert "billing@acme.example" in card  # the address the approver sees
    await dispatch(world.app, click(world.chat, "approve"))

    loaded = world.app.registry.get("invoicing")
    assert loaded is not None
    create = loaded.actions.functions["create_invoice"]

    async def create_then_change(client: Any, ctx: Any, /, **args: Any) -> Any:
        made = await create(client, ctx, **args)
        world.stripe.customers[acme]["email"] = THIEF  # changed on Stripe while the run goes on
        world.stripe.invoices[made["invoice"]["id"]]["customer_email"] = THIEF
        return made

    loaded.actions.functions["create_invoice"] = create_then_change
    try:
        start = len(world.chat.lines)
        await Worker(world.app, "w1").drain()
    finally:
        loaded.actions.functions["create_invoice"] = create
    said = "\n".join(world.chat.lines[start:])

    [invoice] = world.stripe.invoices.values()
    assert invoice["status"] == "draft" and not invoice.get("sent")  # never finalized nor emailed
    async with world.app.database.session(all_teams=True) as session:
        run = (await session.exec(select(RunRow))).one()
    assert run.status == RunStatus.FAILED
    assert f"it would send to {THIEF}, an address the approval did not show" in (run.error or "")
    assert THIEF in said
