"""Typed entry points of the invoicing (Stripe) integration; arguments match manifest.yaml.

Every write sends an Idempotency-Key derived from the step's key, so Stripe answers a
repeated step with the first result instead of acting twice (``idempotent_writes: true``).
"""

from __future__ import annotations

from typing import Any

from bot.sdk import ActionSet, CallContext, IntegrationEnv, TransientError
from integrations.common.addresses import addr_spec
from integrations.invoicing import shapes
from integrations.invoicing.client import INTEGRATION, StripeInvoicingClient


def build_client(env: IntegrationEnv) -> StripeInvoicingClient:
    return StripeInvoicingClient.from_env(env, getattr(env.config, "stripe_api_url", None))


actions = ActionSet(INTEGRATION, client_factory=build_client)


# ---- customers ------------------------------------------------------------------------


@actions.action("find_customer")
async def find_customer(
    client: StripeInvoicingClient, ctx: CallContext, email: str
) -> dict[str, Any]:
    found = await client.list_customers(client.credential(ctx), email=addr_spec(email, "invoicing: email"), max_results=10)
    customers = [shapes.customer(c) for c in found]
    return {
        "customer": customers[0] if len(customers) == 1 else None,
        "customers": customers,
        "count": len(customers),
    }


@actions.action("list_customers")
async def list_customers(
    client: StripeInvoicingClient,
    ctx: CallContext,
    email: str | None = None,
    max_results: int = 100,
) -> dict[str, Any]:
    if email:
        email = addr_spec(email, "invoicing: email")
    found = await client.list_customers(client.credential(ctx), email=email, max_results=max_results)
    return {"customers": [shapes.customer(c) for c in found], "count": len(found)}


@actions.action("create_customer")
async def create_customer(
    client: StripeInvoicingClient,
    ctx: CallContext,
    name: str,
    email: str,
    description: str | None = None,
) -> dict[str, Any]:
    # Stripe emails invoices to this address: exactly one, nothing that could add headers
    params: dict[str, Any] = {"name": name, "email": addr_spec(email, "invoicing: email")}
    if description:
        params["description"] = description
    created = await client.create_customer(client.credential(ctx), params, shapes.write_key(ctx))
    return {"customer": shapes.customer(created)}


# ---- invoice items and invoices -------------------------------------------------------


@actions.action("create_invoice_item")
async def create_invoice_item(
    client: StripeInvoicingClient,
    ctx: CallContext,
    customer: str,
    amount: int,
    currency: str,
    description: str,
    invoice: str | None = None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "customer": customer,
        "amount": shapes.minor_units("amount", amount),
        "currency": currency.lower(),
        "description": description,
    }
    if invoice:
        params["invoice"] = invoice
    item = await client.create_invoice_item(client.credential(ctx), params, shapes.write_key(ctx))
    return {"invoice_item": shapes.invoice_item(item)}


@actions.action("create_invoice")
async def create_invoice(
    client: StripeInvoicingClient,
    ctx: CallContext,
    customer: str,
    currency: str,
    days_until_due: int = 30,
    description: str | None = None,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A draft invoice with the customer's pending items, after adding ``items`` as pending
    items. Each write has its own key suffix, so a repeated step replays all of them."""
    key = client.credential(ctx)
    currency = currency.lower()  # Stripe's codes are lower-case; Deputy's records say "EUR"
    item_params = [
        {
            "customer": customer,
            "currency": currency,
            "amount": shapes.minor_units(f"items[{n}].amount", item.get("amount")),
            "description": item.get("description", ""),
        }
        for n, item in enumerate(items or [])
    ]  # every amount is checked before the first write
    created_items = [
        await client.create_invoice_item(key, params, shapes.write_key(ctx, f"item-{n}"))
        for n, params in enumerate(item_params)
    ]
    params: dict[str, Any] = {
        "customer": customer,
        "currency": currency,
        "collection_method": "send_invoice",
        "days_until_due": days_until_due,
        "pending_invoice_items_behavior": "include",
        "auto_advance": False,
    }
    if description:
        params["description"] = description
    created = await client.create_invoice(key, params, shapes.write_key(ctx, "invoice"))
    return {
        "invoice": shapes.invoice(created),
        "invoice_items": [shapes.invoice_item(i) for i in created_items],
    }


@actions.action("finalize_invoice")
async def finalize_invoice(
    client: StripeInvoicingClient, ctx: CallContext, invoice_id: str
) -> dict[str, Any]:
    finalized = await client.finalize_invoice(client.credential(ctx), invoice_id, shapes.write_key(ctx))
    return {"invoice": shapes.invoice(finalized)}


@actions.action("send_invoice")
async def send_invoice(
    client: StripeInvoicingClient, ctx: CallContext, invoice_id: str
) -> dict[str, Any]:
    """Email the invoice to the customer; a draft is finalized first (Stripe sends open ones)."""
    key = client.credential(ctx)
    current = await client.retrieve_invoice(key, invoice_id)
    if current.get("status") == "draft":
        await client.finalize_invoice(key, invoice_id, shapes.write_key(ctx, "finalize"))
    sent = await client.send_invoice(key, invoice_id, shapes.write_key(ctx, "send"))
    return {"invoice": shapes.invoice(sent)}


@actions.action("void_invoice")
async def void_invoice(
    client: StripeInvoicingClient, ctx: CallContext, invoice_id: str
) -> dict[str, Any]:
    """Undo an invoice: Stripe voids only finalized invoices; a draft is deleted instead."""
    key = client.credential(ctx)
    current = await client.retrieve_invoice(key, invoice_id)
    if current.get("status") == "draft":
        try:
            deleted = await client.delete_draft_invoice(key, invoice_id)
        except TransientError as err:
            if err.sent is False:
                raise
            # Stripe takes no Idempotency-Key on DELETE, so a retry could not tell a delete
            # that went through from a wrong id; settle it now, while we know the draft existed
            if await client.invoice_exists(key, invoice_id):
                raise
            deleted = {"id": invoice_id, "object": "invoice", "deleted": True}
        return {"invoice": shapes.invoice(deleted)}
    voided = await client.void_invoice(key, invoice_id, shapes.write_key(ctx))
    return {"invoice": shapes.invoice(voided)}


@actions.action("retrieve_invoice")
async def retrieve_invoice(
    client: StripeInvoicingClient, ctx: CallContext, invoice_id: str
) -> dict[str, Any]:
    return {"invoice": shapes.invoice(await client.retrieve_invoice(client.credential(ctx), invoice_id))}


@actions.action("list_invoices")
async def list_invoices(
    client: StripeInvoicingClient,
    ctx: CallContext,
    customer: str | None = None,
    status: str | None = None,
    max_results: int = 100,
) -> dict[str, Any]:
    params = {k: v for k, v in {"customer": customer, "status": status}.items() if v}
    found = await client.list_invoices(client.credential(ctx), params, max_results)
    return {"invoices": [shapes.invoice(i) for i in found], "count": len(found)}


@actions.action("list_overdue")
async def list_overdue(
    client: StripeInvoicingClient,
    ctx: CallContext,
    customer: str | None = None,
    max_results: int = 100,
) -> dict[str, Any]:
    """Open invoices whose due date has passed (Stripe has no "overdue" status)."""
    now = client.now()
    params: dict[str, Any] = {"status": "open", "due_date": {"lt": int(now.timestamp())}}
    if customer:
        params["customer"] = customer
    found = await client.list_invoices(client.credential(ctx), params, max_results)
    # the filter is also applied here: invoices without a due date never count as overdue
    overdue = [
        shapes.overdue_invoice(i, now)
        for i in found
        if isinstance(i.get("due_date"), int) and i["due_date"] < now.timestamp()
    ]
    return {
        "invoices": overdue,
        "count": len(overdue),
        "amount_remaining_by_currency": _totals(overdue),
    }


@actions.action("list_payments")
async def list_payments(
    client: StripeInvoicingClient,
    ctx: CallContext,
    invoice: str | None = None,
    status: str | None = None,
    max_results: int = 100,
) -> dict[str, Any]:
    params = {k: v for k, v in {"invoice": invoice, "status": status}.items() if v}
    found = await client.list_invoice_payments(client.credential(ctx), params, max_results)
    return {"payments": [shapes.payment(p) for p in found], "count": len(found)}


def _totals(invoices: list[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for inv in invoices:
        currency = str(inv.get("currency"))
        totals[currency] = totals.get(currency, 0) + int(inv.get("amount_remaining") or 0)
    return totals
