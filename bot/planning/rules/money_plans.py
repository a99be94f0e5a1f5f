"""Invoicing: bill a period, chase what is overdue, list invoices.

The local actions take one client name at a time, so a goal naming several clients gets
one block of steps per client; a goal naming none covers every client. When the requester
connected Stripe, invoicing and chasing run there instead (``stripe_billing``).
"""

from __future__ import annotations

import re

from bot.domain import CannotPlan, Clarification, PlanDraft, PlanningOutcome, Step
from bot.planning.protocol import PlanningContext
from bot.planning.rules import backends, stripe_billing
from bot.planning.rules.attendees import ref
from bot.planning.rules.facts import Facts
from bot.planning.rules.when import MONTHS
from bot.planning.rules.who import join_names

# "create/prepare/draft invoices" makes drafts for review; "invoice", "bill", "send" and
# "issue" mean the client should receive them
_DRAFT_VERBS = re.compile(r"\b(?:create|draft|prepare|generate|raise|make)\b", re.I)
_SEND_VERBS = re.compile(r"\b(?:send|issue|bill|email)\b|^\s*(?:please\s+|can you\s+)?invoice\b", re.I)
_UNKNOWN_CLIENT = re.compile(
    r"\b(?:bill|invoice|remind|chase)\s+([A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*)"
    r"|\b(?:from|for|of|owed by)\s+([A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*)"
)
_NOT_CLIENTS = {"all", "everyone", "every", "everybody", "each", "clients", "customers", "me",
                "us", "the", "our", "last", "this", "next", "invoices", "anyone", "whoever"}


def _clients(goal: str, facts: Facts) -> list[str]:
    """Known clients, else a capitalised name after 'bill'/'from' that the action will
    match by name (or report as unknown)."""
    if facts.clients:
        return facts.clients
    for found in _UNKNOWN_CLIENT.finditer(goal):
        name = (found.group(1) or found.group(2)).strip()
        first = name.split()[0].lower()
        if first not in _NOT_CLIENTS and first not in MONTHS and not first.startswith("q"):
            return [name]
    return []


def _each(clients: list[str]) -> list[str | None]:
    """One block per named client, or one block (client None) for all of them."""
    return list(clients) if clients else [None]


def _number(steps: list[Step]) -> str:
    return f"s{len(steps) + 1}"


def plan_invoicing(goal: str, facts: Facts, context: PlanningContext) -> PlanningOutcome:
    if facts.period is None:
        return Clarification(question='Which period should I invoice? For example "for last month" or "for October 2026".')
    send = facts.send
    if send is None:
        send = bool(_SEND_VERBS.search(goal)) or not _DRAFT_VERBS.search(goal)
    period = facts.period
    dates = {"period_start": period.start.isoformat(), "period_end": period.end.isoformat()}
    clients = _clients(goal, facts)
    if backends.choose(context.actions).billing != backends.LOCAL:
        every = clients or list(context.clients)
        if not every:
            return Clarification(question="Which client should I invoice? I know no clients yet.")
        return stripe_billing.plan_invoicing(every, period, send, named=bool(clients))
    steps: list[Step] = []
    for client in _each(clients):
        whom = client or "every client"
        unbilled_args: dict[str, object] = dict(dates)
        if client:
            unbilled_args["client"] = client
        unbilled = Step(id=_number(steps), action="local.unbilled_time", args=unbilled_args,
                        note=f"Sum unbilled time for {whom} in {period.label}")
        steps.append(unbilled)
        create = Step(id=_number(steps), action="local.create_invoice", for_each=f"{unbilled.id}.clients",
                      args={"client_id": ref("item.client_id"), **dates},
                      note=f"Create a draft invoice for {'each client' if client is None else client} with unbilled time")
        steps.append(create)
        if send:
            steps.append(Step(id=_number(steps), action="local.send_invoice", for_each=f"{create.id}.results",
                              args={"invoice_id": ref("item.id")}, note="Send each new invoice to the client's billing email"))
    whom = join_names(clients) if clients else "all clients"
    verb = "Invoice" if send else "Create draft invoices for"
    tail = " and send the invoices" if send else " (not sent)"
    return PlanDraft(summary=f"{verb} {whom} for {period.label}{tail}", steps=steps)


def plan_chase(goal: str, facts: Facts, context: PlanningContext) -> PlanningOutcome:
    clients = _clients(goal, facts)
    chosen = backends.choose(context.actions)
    if chosen.receivables != backends.LOCAL:
        if clients:
            # Stripe knows customers by id and email, not by the names the goal uses
            return CannotPlan(message=f"Your invoices are on Stripe, where I can chase every overdue invoice "
                                      f"at once but not {join_names(clients)}'s alone yet. "
                                      "Try \u201cchase overdue invoices\u201d.")
        return stripe_billing.plan_chase(chosen.mail)
    steps: list[Step] = []
    for client in _each(clients):
        args: dict[str, object] = {"status": "overdue"}
        if client:
            args["client"] = client
        listing = Step(id=_number(steps), action="local.list_invoices", args=args,
                       note=f"List overdue invoices{' from ' + client if client else ''}")
        steps.append(listing)
        steps.append(Step(id=_number(steps), action="local.send_reminder", for_each=f"{listing.id}.invoices",
                          args={"invoice_id": ref("item.id")}, note="Send a payment reminder for each of them"))
    whose = f"{join_names(clients)}'s overdue invoices" if clients else "every overdue invoice"
    return PlanDraft(summary=f"Send payment reminders for {whose}", steps=steps)


def _status(goal: str) -> tuple[str, str]:
    low = goal.lower()
    if re.search(r"\b(?:overdue|late|past due)\b", low):
        return "overdue", "overdue invoices"
    if re.search(r"\b(?:unpaid|outstanding|owes?|open)\b|\b(?:hasn't|hasnt|haven't|not) (?:yet )?paid\b", low):
        # the store keeps overdue invoices as "sent": sent means sent and not yet paid
        return "sent", "unpaid invoices"
    for status in ("draft", "paid", "void"):
        if re.search(rf"\b{status}\b", low):
            return status, f"{status} invoices"
    return "any", "invoices"


def plan_invoice_list(goal: str, facts: Facts) -> PlanningOutcome:
    status, words = _status(goal)
    clients = _clients(goal, facts)
    steps: list[Step] = []
    for client in _each(clients):
        args: dict[str, object] = {"status": status}
        if client:
            args["client"] = client
        steps.append(Step(id=_number(steps), action="local.list_invoices", args=args,
                          note=f"List {words}{' from ' + client if client else ''}"))
    return PlanDraft(summary=f"List {words}{' from ' + join_names(clients) if clients else ''}", steps=steps)
