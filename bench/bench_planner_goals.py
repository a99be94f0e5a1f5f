"""The benchmark's fixed goals: each with its plan (local actions) and scripted outputs.

Outputs are shaped like plausible integration answers and sized like real ones (a list of
invoices is a few hundred characters per invoice), because the ReAct loop re-sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BenchGoal:
    text: str
    steps: list[dict[str, Any]]
    outputs: dict[str, Any]  # step id → output (per element for a for_each step)
    # goals asked one after the other ("A; then B"), by their number of steps; () is one goal
    parts: tuple[int, ...] = ()


CLIENTS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]


def _invoices(n: int, status: str, client: str | None = None) -> dict[str, Any]:
    return {"invoices": [
        {"id": 40 + i, "number": f"INV-2026-{40 + i:04d}", "client": client or CLIENTS[i % 5],
         "client_id": 1 + i % 5, "company_id": 11 + i % 5, "amount_cents": 125000 + 7500 * i,
         "currency": "EUR", "issued_on": "2026-10-01", "due_on": "2026-10-31", "status": status,
         "billing_email": f"billing@{(client or CLIENTS[i % 5]).lower()}.example"}
        for i in range(n)]}


def _people(names: list[str]) -> dict[str, Any]:
    return {"people": [
        {"id": 100 + i, "name": n, "email": f"{n.split()[0].lower()}@example.com", "company": "Acme",
         "title": "Manager", "phone": "+33 1 23 45 67 89"} for i, n in enumerate(names)],
        "emails": [f"{n.split()[0].lower()}@example.com" for n in names]}


def _slots(n: int) -> dict[str, Any]:
    slots = [{"start": f"2026-12-0{1 + i}T10:00:00+01:00", "end": f"2026-12-0{1 + i}T10:30:00+01:00"}
             for i in range(n)]
    return {"slots": slots, "first": slots[0]}


def _events(n: int) -> dict[str, Any]:
    return {"events": [
        {"id": 300 + i, "title": f"Meeting {i + 1}", "start": f"2026-12-04T{9 + i}:00:00+01:00",
         "end": f"2026-12-04T{9 + i}:30:00+01:00", "attendees": ["ana@example.com", "bob@example.com"],
         "location": "Room 2"} for i in range(n)]}


def _search(kind: str, name: str) -> dict[str, Any]:
    return {"results": [{"kind": kind, "id": 500, "name": name, "stage": "proposal",
                         "amount_cents": 4200000, "company_id": 12, "owner": "ana@example.com"}]}


OK = {"ok": True, "id": 901, "status": "done"}
REF = "$ref"


def _step(sid: str, action: str, args: dict[str, Any], for_each: str | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {"id": sid, "action": f"local.{action}", "args": args}
    if for_each:
        step["for_each"] = for_each
    return step


def _book(text: str, names: list[str], minutes: int, title: str) -> BenchGoal:
    return BenchGoal(text, [
        _step("s1", "find_people", {"names": names}),
        _step("s2", "find_free_slots", {"attendees": {REF: "s1.emails"}, "duration_minutes": minutes,
                                        "after": "2026-11-30T09:00:00+01:00", "timezone": "Europe/Paris"}),
        _step("s3", "create_event", {"title": title, "start": {REF: "s2.first.start"},
                                     "end": {REF: "s2.first.end"}, "attendees": {REF: "s1.emails"}}),
    ], {"s1": _people(names), "s2": _slots(3), "s3": OK})


def _remind(text: str, n: int, client: str | None = None) -> BenchGoal:
    args: dict[str, Any] = {"status": "overdue", **({"client": client} if client else {})}
    return BenchGoal(text, [
        _step("s1", "list_invoices", args),
        _step("s2", "send_reminder", {"invoice_id": {REF: "item.id"}}, "s1.invoices"),
    ], {"s1": _invoices(n, "overdue", client), "s2": OK})


def _deal(text: str, deal_id: int, stage: str, note: str) -> BenchGoal:
    # the deal id is literal: validate_plan counts minProperties without referenced
    # arguments, so update_deal({"deal_id": {"$ref": ...}, "stage": ...}) is refused today
    return BenchGoal(text, [
        _step("s1", "update_deal", {"deal_id": deal_id, "stage": stage}),
        _step("s2", "add_note", {"subject": "deal", "subject_id": deal_id, "body": note}),
    ], {"s1": OK, "s2": OK})


GOALS: list[BenchGoal] = [
    BenchGoal("invoice every client for October's unbilled time", [
        _step("s1", "unbilled_time", {"period_start": "2026-10-01", "period_end": "2026-10-31"}),
        _step("s2", "create_invoice", {"client_id": {REF: "item.client_id"}, "period_start": "2026-10-01",
                                       "period_end": "2026-10-31"}, "s1.clients"),
    ], {"s1": {"clients": [{"client_id": i + 1, "client": c, "minutes": 600 + 60 * i, "amount_cents": 90000}
                           for i, c in enumerate(CLIENTS)]}, "s2": OK}),
    _remind("chase everyone whose invoice is overdue", 4),
    _book("book 30 minutes with Bob and Carol next week", ["Bob Martin", "Carol Diaz"], 30, "Sync"),
    BenchGoal("move Friday's 9:00 meeting to 14:00", [
        _step("s1", "list_events", {"start": "2026-12-04T00:00:00+01:00", "end": "2026-12-05T00:00:00+01:00"}),
        _step("s2", "move_event", {"event_id": {REF: "s1.events.0.id"}, "start": "2026-12-04T14:00:00+01:00",
                                   "end": "2026-12-04T14:30:00+01:00"}),
    ], {"s1": _events(3), "s2": OK}),
    BenchGoal("add Dana Scully from Initech and note she wants a demo", [
        _step("s1", "create_contact", {"name": "Dana Scully", "email": "dana@initech.example", "company": "Initech"}),
        _step("s2", "add_note", {"subject": "contact", "subject_id": {REF: "s1.id"}, "body": "Wants a demo."}),
    ], {"s1": OK, "s2": OK}),
    BenchGoal("record Globex's 1,250 EUR payment on their open invoice", [
        _step("s1", "list_invoices", {"status": "sent", "client": "Globex"}),
        _step("s2", "record_payment", {"invoice_id": {REF: "s1.invoices.0.id"}, "amount_cents": 125000}),
    ], {"s1": _invoices(2, "sent", "Globex"), "s2": OK}),
    _deal("move deal 512 (Acme renewal) to negotiation and note today's call", 512, "negotiation",
          "Call on 27 Nov: moving to negotiation."),
    BenchGoal("cancel all my events on Friday", [
        _step("s1", "list_events", {"start": "2026-12-04T00:00:00+01:00", "end": "2026-12-05T00:00:00+01:00",
                                    "attendee": "ana@example.com"}),
        _step("s2", "cancel_event", {"event_id": {REF: "item.id"}}, "s1.events"),
    ], {"s1": _events(4), "s2": OK}),
    _remind("remind Globex about what is overdue", 3, "Globex"),
    _book("set up a kickoff with Acme's contacts on Monday", ["Eve Park", "Frank Ode", "Bob Martin"], 60,
          "Acme kickoff"),
    BenchGoal("create the company Umbrella and add Alice Wu there", [
        _step("s1", "create_company", {"name": "Umbrella", "domain": "umbrella.example"}),
        _step("s2", "create_contact", {"name": "Alice Wu", "email": "alice@umbrella.example", "company": "Umbrella"}),
    ], {"s1": OK, "s2": OK}),
    BenchGoal("invoice Acme for November and send it", [
        _step("s1", "unbilled_time", {"period_start": "2026-11-01", "period_end": "2026-11-30", "client": "Acme"}),
        _step("s2", "create_invoice", {"client_id": {REF: "s1.clients.0.client_id"}, "period_start": "2026-11-01",
                                       "period_end": "2026-11-30"}),
        _step("s3", "send_invoice", {"invoice_id": {REF: "s2.id"}}),
    ], {"s1": {"clients": [{"client_id": 1, "client": "Acme", "minutes": 1260, "amount_cents": 189000}]},
        "s2": OK, "s3": OK}),
    BenchGoal("void Globex's draft invoices", [
        _step("s1", "list_invoices", {"status": "draft", "client": "Globex"}),
        _step("s2", "void_invoice", {"invoice_id": {REF: "item.id"}}, "s1.invoices"),
    ], {"s1": _invoices(3, "draft", "Globex"), "s2": OK}),
    BenchGoal("Bob is now CTO: update him and note it", [
        _step("s1", "find_people", {"names": ["Bob"]}),
        _step("s2", "update_contact", {"contact_id": {REF: "s1.people.0.id"}, "fields": {"title": "CTO"}}),
        _step("s3", "add_note", {"subject": "contact", "subject_id": {REF: "s1.people.0.id"},
                                 "body": "Promoted to CTO."}),
    ], {"s1": _people(["Bob Martin"]), "s2": OK, "s3": OK}),
    BenchGoal("offer Carol and Dan two 1:1 slots next week", [
        _step("s1", "find_people", {"names": ["Carol", "Dan"]}),
        _step("s2", "find_free_slots", {"attendees": {REF: "s1.emails"}, "duration_minutes": 30,
                                        "after": "2026-11-30T09:00:00+01:00", "count": 2}),
        _step("s3", "create_event", {"title": "1:1", "start": {REF: "item.start"}, "end": {REF: "item.end"},
                                     "attendees": {REF: "s1.emails"}}, "s2.slots"),
    ], {"s1": _people(["Carol Diaz", "Dan Brown"]), "s2": _slots(2), "s3": OK}),
    BenchGoal("remind overdue invoices and log a note on each company", [
        _step("s1", "list_invoices", {"status": "overdue"}),
        _step("s2", "send_reminder", {"invoice_id": {REF: "item.id"}}, "s1.invoices"),
        _step("s3", "add_note", {"subject": "company", "subject_id": {REF: "item.company_id"},
                                 "body": "Payment reminder sent."}, "s1.invoices"),
    ], {"s1": _invoices(3, "overdue"), "s2": OK, "s3": OK}),
    BenchGoal("weekly review: my meetings this week and unbilled time", [
        _step("s1", "list_events", {"start": "2026-11-30T00:00:00+01:00", "end": "2026-12-07T00:00:00+01:00"}),
        _step("s2", "unbilled_time", {"period_start": "2026-11-30", "period_end": "2026-12-06"}),
    ], {"s1": _events(5), "s2": {"clients": [{"client_id": 1, "client": "Acme", "minutes": 300}]}}),
    BenchGoal("record payments for Hooli's two sent invoices", [
        _step("s1", "list_invoices", {"status": "sent", "client": "Hooli"}),
        _step("s2", "record_payment", {"invoice_id": {REF: "s1.invoices.0.id"}, "amount_cents": 125000}),
        _step("s3", "record_payment", {"invoice_id": {REF: "s1.invoices.1.id"}, "amount_cents": 132500}),
    ], {"s1": _invoices(2, "sent", "Hooli"), "s2": OK, "s3": OK}),
    BenchGoal("Initech signed: note it on their company, mark deal 514 won, send their draft invoice", [
        _step("s1", "search_crm", {"query": "Initech", "kind": "company"}),
        _step("s2", "add_note", {"subject": "company", "subject_id": {REF: "s1.results.0.id"},
                                 "body": "Signed on 27 Nov."}),
        _step("s3", "update_deal", {"deal_id": 514, "stage": "won"}),
        _step("s4", "list_invoices", {"status": "draft", "client": "Initech"}),
        _step("s5", "send_invoice", {"invoice_id": {REF: "s4.invoices.0.id"}}),
    ], {"s1": _search("company", "Initech"), "s2": OK, "s3": OK, "s4": _invoices(1, "draft", "Initech"),
        "s5": OK}),
    _book("find an hour with the sales team for a pipeline review",
          ["Bob Martin", "Carol Diaz", "Eve Park", "Frank Ode"], 60, "Pipeline review"),
    BenchGoal("send every draft invoice", [
        _step("s1", "list_invoices", {"status": "draft"}),
        _step("s2", "send_invoice", {"invoice_id": {REF: "item.id"}}, "s1.invoices"),
    ], {"s1": _invoices(5, "draft"), "s2": OK}),
    _deal("we lost Hooli: mark deal 517 lost and note why", 517, "lost",
          "Lost on price; revisit in Q2."),
]


def _renumber(value: Any, offset: int) -> Any:
    """``value`` with every step reference ``sN…`` moved to ``s(N+offset)…``."""
    def path(p: str) -> str:
        root, _, rest = p.partition(".")
        if not (root.startswith("s") and root[1:].isdigit()):
            return p  # item…
        return f"s{int(root[1:]) + offset}" + (f".{rest}" if rest else "")
    if isinstance(value, dict):
        if set(value) == {REF}:
            return {REF: path(value[REF])}
        return {k: _renumber(v, offset) for k, v in value.items()}
    if isinstance(value, list):
        return [_renumber(v, offset) for v in value]
    return value


def combined(goals: list[BenchGoal]) -> BenchGoal:
    """One longer goal that asks for ``goals`` one after the other ("A; then B"): their steps
    in order, renumbered, with their references and outputs (how the ratio grows with plan
    length, from the same steps)."""
    steps: list[dict[str, Any]] = []
    outputs: dict[str, Any] = {}
    for goal in goals:
        offset = len(steps)
        for step in goal.steps:
            moved = {**step, "id": f"s{int(step['id'][1:]) + offset}", "args": _renumber(step["args"], offset)}
            if "for_each" in step:
                moved["for_each"] = _renumber({REF: step["for_each"]}, offset)[REF]
            steps.append(moved)
            outputs[moved["id"]] = goal.outputs[step["id"]]
    return BenchGoal("; then ".join(g.text for g in goals), steps, outputs, tuple(len(g.steps) for g in goals))
