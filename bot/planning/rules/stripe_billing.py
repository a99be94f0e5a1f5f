"""Invoicing and chasing on Stripe, with time tracking kept in ``local``.

Time is recorded in Deputy's own database, so a month's bill starts there: the unbilled time
is drafted into a local invoice (which marks the entries billed, so the same hours are never
invoiced twice), then the client's Stripe customer is found by their billing email and
gets one invoice item with the exact amount, an invoice, and — unless only drafts were
asked for — Stripe sends it.

Steps pass one client's data along by reference, and a reference can follow only one list
(``for_each``), so each client gets its own block of steps; within a block each list has at
most one element, and an empty one (no unbilled time) makes the rest of the block a no-op.
"""

from __future__ import annotations

from bot.domain import PlanDraft, PlanningOutcome, Step
from bot.planning.rules.attendees import ref
from bot.planning.rules.when import Span
from bot.planning.rules.who import join_names


def _block(steps: list[Step], client: str, period: Span, send: bool) -> None:
    def next_id() -> str:
        return f"s{len(steps) + 1}"

    dates = {"period_start": period.start.isoformat(), "period_end": period.end.isoformat()}
    unbilled = Step(id=next_id(), action="local.unbilled_time", args={**dates, "client": client},
                    note=f"Sum unbilled time for {client} in {period.label}")
    steps.append(unbilled)
    record = Step(id=next_id(), action="local.create_invoice", for_each=f"{unbilled.id}.clients",
                  args={"client_id": ref("item.client_id"), **dates},
                  note=f"Mark {client}'s time as billed (a record of the invoice in Deputy)")
    steps.append(record)
    customer = Step(id=next_id(), action="invoicing.find_customer", for_each=f"{record.id}.results",
                    args={"email": ref("item.invoice.email")},
                    note=f"Find {client}'s Stripe customer by billing email")
    steps.append(customer)
    amount = f"{record.id}.results.0.invoice"
    item = Step(id=next_id(), action="invoicing.create_invoice_item", for_each=f"{customer.id}.results",
                args={"customer": ref("item.customer.id"), "amount": ref(f"{amount}.amount_cents"),
                      "currency": ref(f"{amount}.currency"), "description": f"Services, {period.label}"},
                note=f"Add the unbilled amount for {period.label} as an invoice line")
    steps.append(item)
    invoice = Step(id=next_id(), action="invoicing.create_invoice", for_each=f"{item.id}.results",
                   args={"customer": ref("item.invoice_item.customer"),
                         "currency": ref("item.invoice_item.currency"),
                         "description": f"{client} \u2014 {period.label}"},
                   note=f"Create {client}'s Stripe invoice with that line")
    steps.append(invoice)
    if send:
        steps.append(Step(id=next_id(), action="invoicing.send_invoice", for_each=f"{invoice.id}.results",
                          args={"invoice_id": ref("item.invoice.id")},
                          note="Finalize the invoice and have Stripe email it to the client"))


def plan_invoicing(clients: list[str], period: Span, send: bool, named: bool) -> PlanningOutcome:
    """``clients``: those the goal names, or (``named`` False) every known client."""
    steps: list[Step] = []
    for client in clients:
        _block(steps, client, period, send)
    whom = join_names(clients) if named else "all clients"
    verb = "Invoice" if send else "Create draft Stripe invoices for"
    tail = " on Stripe and send the invoices" if send else " (not sent)"
    return PlanDraft(summary=f"{verb} {whom} for {period.label}{tail}", steps=steps)


def plan_chase(mail: str | None) -> PlanningOutcome:
    listing = Step(id="s1", action="invoicing.list_overdue", args={},
                   note="List open Stripe invoices past their due date")
    if mail is not None:
        remind = Step(id="s2", action=f"{mail}.send", for_each="s1.invoices",
                      args={"to": ref("item.customer_email"), "subject": ref("item.reminder.subject"),
                            "body": ref("item.reminder.body")},
                      note="Email each customer a reminder: invoice number, amount due, days overdue")
        return PlanDraft(summary="Email a payment reminder for every overdue Stripe invoice",
                         steps=[listing, remind])
    resend = Step(id="s2", action="invoicing.send_invoice", for_each="s1.invoices",
                  args={"invoice_id": ref("item.id")},
                  note="Have Stripe email each overdue invoice to its customer again")
    return PlanDraft(summary="Have Stripe re-send every overdue invoice", steps=[listing, resend])
