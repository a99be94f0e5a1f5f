"""CRM lookups and updates. An update first searches for the record and then changes the
first match, so the plan card shows the search the approver can check."""

from __future__ import annotations

import re

from bot.domain import CannotPlan, Clarification, PlanDraft, PlanningOutcome, Step
from bot.lazy_re import lazy
from bot.planning.protocol import PlanningContext
from bot.planning.rules.calendar_plans import ref
from bot.planning.rules.who import (
    EMAIL,
    close_names,
    find_clients,
    find_people,
    join_names,
    mismatched_full_name,
)

_LOOKUP_LEAD = lazy(
    r"^\s*(?:please\s+|can you\s+|could you\s+)?(?:look\s*up|lookup|who\s+is|who's|find|search"
    r"(?:\s+the\s+crm)?(?:\s+for)?|show(?:\s+me)?|get|pull\s+up|tell\s+me\s+about"
    r"|what\s+do\s+we\s+know\s+about|details\s+(?:for|on|of))\s+",
    re.I,
)
_KIND_WORDS = lazy(r"\b(?:the|contact|company|account|deal|person|in the crm|details|info)\b", re.I)
_CONTACT = lazy(
    r"\b(?:update|set|change)\s+(?:the\s+)?(?P<who>.+?)(?:'s|\u2019s|s')\s+(?P<field>phone number|phone|mobile|"
    r"job title|title|role|email address|email|name)(?:\s*[:=]\s*|\s+(?:to|as|is)\s+)(?P<value>.+?)\s*[.!]?$"
    r"|\b(?:update|set|change)\s+(?:the\s+)?(?P<field2>phone number|phone|mobile|job title|title|role|"
    r"email address|email|name)\s+(?:of|for)\s+(?P<who2>.+?)\s+(?:to|=|as)\s+(?P<value2>.+?)\s*[.!]?$",
    re.I,
)
_FIELDS = {"phone number": "phone", "phone": "phone", "mobile": "phone", "job title": "title",
           "title": "title", "role": "title", "email address": "email", "email": "email", "name": "name"}
_DEAL = lazy(
    r"\b(?:move|set|mark|change|update|close)\s+(?:the\s+)?(?P<who>.+?)\s+deal(?:'s\s+stage)?\s+"
    r"(?:to|as|at)\s+(?:stage\s+)?(?:closed[- ])?(?P<stage>lead|qualified|proposal|negotiation|won|lost)\b",
    re.I,
)
_NOTE = lazy(
    r"\b(?:add|put|leave|write|log)\s+(?:a\s+)?note\s+(?:to|on|for|against|about)\s+(?:the\s+)?(?P<who>.+?)"
    r"\s*(?:[:\-\u2013\u2014]\s*|\s+saying\s+|\s+that\s+)(?P<body>.+)$",
    re.I | re.S,
)
_PLURAL = {"contact": "contacts", "company": "companies", "deal": "deals"}


def _canonical(who: str, context: PlanningContext) -> tuple[str, str | None]:
    """(search query, kind when the name settles it): a known person's full name, or a
    known client's name, or the words as written."""
    people, _ = find_people(who, context.people)
    if people and people[0].email and EMAIL.search(who):
        return people[0].email, "contact"
    if people and people[0].email:
        return people[0].name, "contact"
    clients = find_clients(who, context.clients)
    if clients:
        return clients[0], None
    return who.strip(" '\"?.!"), None


def name_question(goal: str, context: PlanningContext) -> Clarification | None:
    """"Alice Martin" when only Alice Wong and Chloe Martin exist: ask, never substitute."""
    mismatch = mismatched_full_name(goal, context.people, context.clients)
    if mismatch is None:
        return None
    close = close_names(mismatch, context.people)
    hint = f" Did you mean {join_names(close).replace(' and ', ' or ')}?" if close else ""
    return Clarification(question=f"I know nobody called {mismatch}.{hint}")


def plan_lookup(goal: str, context: PlanningContext) -> PlanningOutcome:
    question = name_question(goal, context)
    if question:
        return question
    low = goal.lower()
    kind = "any"
    if re.search(r"\bdeals?\b", low):
        kind = "deal"
    elif re.search(r"\b(?:company|companies|account)\b", low):
        kind = "company"
    elif re.search(r"\b(?:contact|person|who is|who's)\b", low) or EMAIL.search(goal):
        kind = "contact"
    words = _LOOKUP_LEAD.sub("", goal.strip())
    words = _KIND_WORDS.sub(" ", words)
    words = re.sub(r"\s+", " ", words).strip(" ?.!'\"")
    if not words:
        return Clarification(question="Who or what should I look up in the CRM?")
    query, settled = _canonical(words, context)
    if kind == "any" and settled:
        kind = settled
    args: dict[str, object] = {"query": query}
    if kind != "any":
        args["kind"] = kind
    what = "" if kind == "any" else f" ({kind})"
    step = Step(id="s1", action="local.search_crm", args=args, note=f"Search the CRM for {query}{what}")
    return PlanDraft(summary=f"Look up {query} in the CRM{what}", steps=[step])


def _search(query: str, kind: str) -> Step:
    return Step(id="s1", action="local.search_crm", args={"query": query, "kind": kind},
                note=f"Find the {kind} {query} in the CRM")


_CONDITION = lazy(r"\b(?:not|but|unless|except|if|until|once|yet|instead|never)\b|n[\u2019']t\b", re.I)


def plan_update(goal: str, context: PlanningContext) -> PlanningOutcome:
    question = name_question(goal, context)
    if question:
        return question
    text = goal.strip()
    contact = _CONTACT.search(text)
    if contact:
        who = contact.group("who") or contact.group("who2")
        field = _FIELDS[(contact.group("field") or contact.group("field2")).lower()]
        value = (contact.group("value") or contact.group("value2")).strip(" '\"")
        query, _ = _canonical(who, context)
        if _CONDITION.search(value):  # "CFO and not CEO", "CFO but not yet" were written as the title
            return CannotPlan(message=(
                f"I would set {query}'s {field} to \u201c{value}\u201d word for word, which reads like a "
                f"condition, not a {field}. Write the goal again with just the new {field}."))
        change = Step(id="s2", action="local.update_contact",
                      args={"contact_id": ref("s1.contacts.0.id"), "fields": {field: value}},
                      note=f"Set {query}'s {field} to {value}")
        return PlanDraft(summary=f"Set {query}'s {field} to {value}", steps=[_search(query, "contact"), change])
    deal = _DEAL.search(text)
    if deal:
        query, _ = _canonical(deal.group("who"), context)
        stage = deal.group("stage").lower()
        change = Step(id="s2", action="local.update_deal",
                      args={"deal_id": ref("s1.deals.0.id"), "stage": stage},
                      note=f"Move the {query} deal to {stage}")
        return PlanDraft(summary=f"Move the {query} deal to {stage}", steps=[_search(query, "deal"), change])
    note = _NOTE.search(text)
    if note:
        who, body = note.group("who").strip(), note.group("body").strip()
        subject = "company"
        tail = re.search(r"\s+(deal|contact|company|account)$", who, re.I)
        if tail:
            subject = {"account": "company"}.get(tail.group(1).lower(), tail.group(1).lower())
            who = who[: tail.start()]
        query, settled = _canonical(who, context)
        if not tail and settled:
            subject = settled
        add = Step(id="s2", action="local.add_note",
                   args={"subject": subject, "subject_id": ref(f"s1.{_PLURAL[subject]}.0.id"), "body": body[:5000]},
                   note=f"Add the note to {query}")
        return PlanDraft(summary=f"Add a note to {query}: {body[:80]}", steps=[_search(query, subject), add])
    return Clarification(question=(
        "What should change? I can set a contact's phone, title, email or name "
        "(\u201cset Bob's title to CTO\u201d), move a deal to a stage (\u201cmove the Globex deal "
        "to won\u201d) or add a note (\u201cadd a note to Acme: renewal due in May\u201d)."
    ))


_NAME_RUN = lazy(r"\b[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){1,2}\b")
_COMPANY = lazy(r"\b(?:at|from|of|with|works at|working at)\s+([A-Z][\w&'.-]*(?:\s+[A-Z][\w&'.-]*)*)")
_TITLE = lazy(r",\s*(?:the\s+|our\s+|their\s+)?([A-Za-z][\w&/ -]{0,40}?)\s+(?:at|of)\s+[A-Z]")


def plan_create_contact(goal: str, context: PlanningContext) -> PlanningOutcome:
    clients = {c.lower() for c in context.clients} | {c.split()[0].lower() for c in context.clients}
    name = next((m.group(0) for m in _NAME_RUN.finditer(goal)
                 if m.group(0).split()[0].lower() not in clients
                 and m.group(0).lower() not in ("the crm",)), None)
    if name is None:
        return Clarification(question="What is the new contact's full name and email address?")
    email = EMAIL.search(goal)
    if email is None:
        return Clarification(question=f"What is {name}'s email address? A contact needs one.")
    args: dict[str, object] = {"name": name, "email": email.group(0).rstrip(".")}
    company = _COMPANY.search(goal)
    if company:
        written = company.group(1).strip()
        known = find_clients(written, context.clients)
        args["company"] = known[0] if known else written
    title = _TITLE.search(goal)
    if title and "@" not in title.group(1):
        args["title"] = title.group(1).strip()
    where = f" at {args['company']}" if "company" in args else ""
    return PlanDraft(summary=f"Add {name} ({args['email']}){where} to the CRM", steps=[
        Step(id="s1", action="local.create_contact", args=args,
             note=f"Create the contact {name}{where}" + (" (and the company if it is new)" if where else ""))])
