"""The rule planner uses the real integrations a requester can use, and `local` otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.domain import CannotPlan, PlanDraft
from bot.planning.protocol import ReplanRequest
from bot.planning.rules import RulePlanner
from bot.planning.validation import validate_plan
from bot.registry import ActionSpec, load_manifest
from integrations.invoicing.shapes import money_text, overdue_invoice
from tests.planning.rules_common import make_context

ROOT = Path(__file__).resolve().parents[2] / "integrations"
MANIFESTS = {name: load_manifest(ROOT / name / "manifest.yaml")
             for name in ("local", "calendar", "email", "invoicing", "crm")}


class Catalog:
    """Like the core's ConnectedCatalog: `local` always, the others only when connected."""

    def __init__(self, *connected: str) -> None:
        self.usable = {"local", *connected}

    def spec(self, action: str) -> ActionSpec | None:
        integration, _, name = action.partition(".")
        return MANIFESTS[integration].action(name) if integration in self.usable else None


async def plan(goal: str, *connected: str) -> PlanDraft:
    catalog = Catalog(*connected)
    outcome = await RulePlanner().plan(goal, replace(make_context(), actions=catalog))
    assert isinstance(outcome, PlanDraft), outcome
    assert validate_plan(outcome, catalog) == []
    assert [s.id for s in outcome.steps] == [f"s{i}" for i in range(1, len(outcome.steps) + 1)]
    return outcome


def actions(draft: PlanDraft) -> list[str]:
    return [s.action for s in draft.steps]


async def test_booking_finds_people_in_hubspot_and_books_on_caldav() -> None:
    draft = await plan("book a meeting with Alice Martin and Maria next Tuesday", "crm", "calendar")
    assert actions(draft) == ["crm.search_contacts", "crm.search_contacts",
                              "calendar.find_free_slots", "calendar.create_event"]
    assert draft.steps[0].args["filters"] == [
        {"property": "firstname", "operator": "EQ", "value": "Alice"},
        {"property": "lastname", "operator": "EQ", "value": "Martin"}]
    assert draft.steps[1].args["query"] == "Maria"
    emails = [{"$ref": "s1.results.0.properties.email"}, {"$ref": "s2.results.0.properties.email"}]
    assert draft.steps[2].args["attendees"] == emails
    assert draft.steps[2].args["after"] == "2026-12-01T00:00:00+00:00"
    event = draft.steps[3].args
    assert event["attendees"] == emails and event["timezone"] == "Europe/London"
    assert event["start"] == {"$ref": "s3.first.start"}


async def test_a_typed_address_needs_no_lookup_and_a_fixed_time_is_booked_as_is() -> None:
    draft = await plan("meet zoe@partner.example and Bob on Friday at 3pm", "crm", "calendar")
    assert actions(draft) == ["crm.search_contacts", "calendar.create_event"]
    assert draft.steps[1].args["attendees"] == [
        "zoe@partner.example", {"$ref": "s1.results.0.properties.email"}]
    assert draft.steps[1].args["start"] == "2026-11-27T15:00:00+00:00"


async def test_each_capability_falls_back_to_local_on_its_own() -> None:
    crm_only = await plan("book a meeting with Bob next Tuesday", "crm")
    assert actions(crm_only) == ["crm.search_contacts", "local.find_free_slots", "local.create_event"]
    assert "timezone" not in crm_only.steps[2].args  # local.create_event takes no zone
    calendar_only = await plan("book a meeting with Bob next Tuesday", "calendar")
    assert actions(calendar_only) == ["local.find_people", "calendar.find_free_slots", "calendar.create_event"]
    nothing = await plan("book a meeting with Bob next Tuesday")
    assert actions(nothing) == ["local.find_people", "local.find_free_slots", "local.create_event"]


async def test_invoicing_a_client_bills_local_time_on_stripe() -> None:
    draft = await plan("invoice Acme for last month", "invoicing")
    assert actions(draft) == ["local.unbilled_time", "local.create_invoice", "invoicing.find_customer",
                              "invoicing.create_invoice_item", "invoicing.create_invoice", "invoicing.send_invoice"]
    assert draft.steps[0].args == {"period_start": "2026-10-01", "period_end": "2026-10-31", "client": "Acme Corp"}
    assert draft.steps[3].args["amount"] == {"$ref": "s2.results.0.invoice.amount_cents"}
    assert draft.summary == "Invoice Acme Corp for October 2026 on Stripe and send the invoices"


async def test_drafts_on_stripe_are_not_sent_and_all_clients_get_a_block_each() -> None:
    draft = await plan("create draft invoices for last month", "invoicing")
    assert "invoicing.send_invoice" not in actions(draft)
    assert actions(draft).count("local.unbilled_time") == 4  # one per known client
    assert "(not sent)" in draft.summary


async def test_chasing_emails_one_reminder_per_overdue_stripe_invoice() -> None:
    draft = await plan("chase overdue invoices", "invoicing", "email")
    assert actions(draft) == ["invoicing.list_overdue", "email.send"]
    assert draft.steps[1].for_each == "s1.invoices"
    assert draft.steps[1].args == {"to": {"$ref": "item.customer_email"},
                                   "subject": {"$ref": "item.reminder.subject"},
                                   "body": {"$ref": "item.reminder.body"}}
    stripe_only = await plan("send reminders for everything overdue", "invoicing")
    assert actions(stripe_only) == ["invoicing.list_overdue", "invoicing.send_invoice"]
    email_only = await plan("chase overdue invoices", "email")
    assert actions(email_only) == ["local.list_invoices", "local.send_reminder"]


async def test_chasing_one_client_on_stripe_says_what_it_can_do() -> None:
    catalog = Catalog("invoicing", "email")
    outcome = await RulePlanner().plan("remind Globex about their unpaid invoice",
                                       replace(make_context(), actions=catalog))
    assert isinstance(outcome, CannotPlan) and "chase overdue invoices" in outcome.message


def test_a_reminder_names_number_amount_and_days_overdue() -> None:
    now_ts = 1_764_064_800  # 2025-11-25 10:00 UTC
    shaped = overdue_invoice({"id": "in_1", "number": "A-0007", "currency": "eur", "amount_remaining": 123456,
                              "due_date": now_ts - 12 * 86400, "customer_email": "ap@x.example"},
                             datetime.fromtimestamp(now_ts, UTC))
    assert shaped["days_overdue"] == 12
    assert shaped["reminder"]["subject"] == "Payment reminder: invoice A-0007 (EUR 1,234.56, 12 days overdue)"
    assert "Invoice A-0007 for EUR 1,234.56 was due on 2025-11-13 and is now 12 days overdue." in shaped["reminder"]["body"]
    assert money_text(5000, "jpy") == "JPY 5,000" and money_text(-5, "usd") == "USD -0.05"


async def test_a_taken_caldav_slot_is_searched_again_on_caldav() -> None:
    catalog = Catalog("crm", "calendar")
    context = replace(make_context(), actions=catalog)
    draft = await plan("book a meeting with Bob next Tuesday at 10am", "crm", "calendar")
    request = ReplanRequest(goal="book a meeting with Bob next Tuesday at 10am", plan=draft,
                            completed={"s1": {"results": [{"properties": {"email": "bob@crm.example"}}]}},
                            failed_step="s2", error="slot taken by another event")
    outcome = await RulePlanner().replan(request, context)
    assert isinstance(outcome, PlanDraft), outcome
    assert actions(outcome) == ["calendar.find_free_slots", "calendar.create_event"]
    assert outcome.steps[0].args["attendees"] == ["bob@crm.example"]
    assert validate_plan(outcome, catalog) == []
