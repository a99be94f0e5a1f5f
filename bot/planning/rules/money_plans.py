"""Invoicing: bill a period, chase what is overdue, list invoices.

The local actions take one client name at a time, so a goal naming several clients gets
one block of steps per client; a goal naming none covers every client. When the requester
connected Stripe, invoicing and chasing run there instead (``stripe_billing``).
"""

from __future__ import annotations

import re

from bot.domain import CannotPlan, Clarification, PlanDraft, PlanningOutcome, Step
from bot.lazy_re import lazy
from bot.planning.protocol import PlanningContext
from bot.planning.rules import backends, qualifiers, stripe_billing
from bot.planning.rules.attendees import ref
from bot.planning.rules.thread_facts import Facts
from bot.planning.rules.who import join_names, unknown_client

# "create/prepare/draft invoices" makes drafts for review; "invoice", "bill", "send" and
# "issue" mean the client should receive them
_DRAFT_VERBS = lazy(r"\b(?:create|draft|prepare|generate|raise|make)\b", re.I)
_SEND_VERBS = lazy(r"\b(?:send|issue|bill|email)\b|^\s*(?:please\s+|can you\s+)?invoice\b", re.I)


def _clients(goal: str, facts: Facts, context: PlanningContext) -> list[str]:
    """Known clients the goal is about (not those it excludes)."""
    if qualifiers.exclusion(goal, context.clients):
        return qualifiers.included_clients(goal, context.clients)
    return facts.clients  # the goal's clients as later thread messages changed them


def unknown_client_question(goal: str, context: PlanningContext) -> Clarification | None:
    """A client name nobody knows is a question, never a guess at a similar name."""
    unknown = unknown_client(goal, context.clients, context.people)
    if unknown is None:
        return None
    return Clarification(question=f"I know no client called \u201c{unknown}\u201d. "
                                  f"Your clients are {join_names(list(context.clients))}. Which one do you mean?")


def _each(clients: list[str]) -> list[str | None]:
    """One block per named client, or one block (client None) for all of them."""
    return list(clients) if clients else [None]


def _number(steps: list[Step]) -> str:
    return f"s{len(steps) + 1}"


def plan_invoicing(goal: str, facts: Facts, context: PlanningContext) -> PlanningOutcome:
    unknown = unknown_client_question(goal, context)
    if unknown:
        return unknown
    if facts.period is None:
        return Clarification(question='Which period should I invoice? For example "for last month" or "for October 2026".')
    send = facts.send
    if send is None:
        send = bool(_SEND_VERBS.search(goal)) or not _DRAFT_VERBS.search(goal)
    period = facts.period
    dates = {"period_start": period.start.isoformat(), "period_end": period.end.isoformat()}
    clients = _clients(goal, facts, context)
    narrowing = qualifiers.read(goal, context.clients)
    if backends.choose(context.actions).billing != backends.LOCAL:
        every = clients or [c for c in context.clients if c not in narrowing.exclude]
        if not every:
            return Clarification(question="Which client should I invoice? I know no clients yet.")
        return stripe_billing.plan_invoicing(every, period, send, named=bool(clients))
    steps: list[Step] = []
    for client in _each(clients):
        whom = client or "every client"
        unbilled_args: dict[str, object] = dict(dates)
        if client:
            unbilled_args["client"] = client
        elif narrowing.exclude:
            unbilled_args["exclude_clients"] = narrowing.exclude
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
    if not clients and narrowing.exclude:
        whom += f" except {join_names(narrowing.exclude)}"
    verb = "Invoice" if send else "Create draft invoices for"
    tail = " and send the invoices" if send else " (not sent)"
    return PlanDraft(summary=f"{verb} {whom} for {period.label}{tail}", steps=steps)


def plan_chase(goal: str, facts: Facts, context: PlanningContext) -> PlanningOutcome:
    unknown = unknown_client_question(goal, context)
    if unknown:
        return unknown
    clients = _clients(goal, facts, context)
    narrowing = qualifiers.read(goal, context.clients)
    status, _ = qualifiers.status(goal, "overdue")
    if status not in ("overdue", "unpaid"):
        status = "overdue"
    chosen = backends.choose(context.actions)
    if chosen.receivables != backends.LOCAL:
        if clients or narrowing.exclude or narrowing.overdue_more_than_days or narrowing.amount_above_cents:
            # Stripe knows customers by id and email, not by the names the goal uses
            return CannotPlan(message=f"Your invoices are on Stripe, where I can chase every overdue invoice "
                                      f"at once but not {join_names(clients)}'s alone yet. "
                                      "Try \u201cchase overdue invoices\u201d.")
        return stripe_billing.plan_chase(chosen.mail)
    steps: list[Step] = []
    for client in _each(clients):
        args = _list_args(status, client, narrowing)
        listing = Step(id=_number(steps), action="local.list_invoices", args=args,
                       note=f"List {_described(status, client, narrowing)}")
        steps.append(listing)
        steps.append(Step(id=_number(steps), action="local.send_reminder", for_each=f"{listing.id}.invoices",
                          args={"invoice_id": ref("item.id")}, note="Send a payment reminder for each of them"))
    return PlanDraft(summary=f"Send payment reminders for {_described(status, join_names(clients) or None, narrowing)}",
                     steps=steps)


def _list_args(status: str, client: str | None, narrowing: qualifiers.Narrowing) -> dict[str, object]:
    args: dict[str, object] = {"status": status}
    if client:
        args["client"] = client
    elif narrowing.exclude:
        args["exclude_clients"] = narrowing.exclude
    if narrowing.overdue_more_than_days is not None:
        args["overdue_more_than_days"] = narrowing.overdue_more_than_days
    if narrowing.amount_above_cents is not None:
        args["amount_above_cents"] = narrowing.amount_above_cents
    return args


def _described(status: str, client: str | None, narrowing: qualifiers.Narrowing) -> str:
    words = "invoices" if status == "any" else f"{status} invoices"
    if client:
        words += f" from {client}"
    elif narrowing.exclude:
        words += f" from every client except {join_names(narrowing.exclude)}"
    if narrowing.overdue_more_than_days is not None:
        words += f" more than {narrowing.overdue_more_than_days} days late"
    if narrowing.amount_above_cents is not None:
        words += f" over {narrowing.amount_above_cents / 100:,.2f}"
    return words


def plan_invoice_list(goal: str, facts: Facts, context: PlanningContext) -> PlanningOutcome:
    unknown = unknown_client_question(goal, context)
    if unknown:
        return unknown
    status, _ = qualifiers.status(goal, "any")
    narrowing = qualifiers.read(goal, context.clients)
    if status == "any" and narrowing.overdue_more_than_days is not None:
        status = "overdue"
    clients = _clients(goal, facts, context)
    steps: list[Step] = []
    for client in _each(clients):
        steps.append(Step(id=_number(steps), action="local.list_invoices",
                          args=_list_args(status, client, narrowing),
                          note=f"List {_described(status, client, narrowing)}"))
    return PlanDraft(summary=f"List {_described(status, join_names(clients) or None, narrowing)}", steps=steps)
