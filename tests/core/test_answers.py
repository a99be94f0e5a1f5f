"""Answers are the data: how a step's output becomes rows, a total and a title with the
right grammar, from the manifest's ``result`` declaration or, for undeclared actions (MCP
tools), from the output's own shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chat.replies import answer_lines
from bot.flow.answers import answer_for, leaf_answers
from bot.registry import load_manifest
from bot.registry.results import ResultSpec

ROOT = Path(__file__).resolve().parents[2]
LOCAL = load_manifest(ROOT / "integrations/local/manifest.yaml")


def spec(action: str) -> ResultSpec | None:
    found = LOCAL.action(action)
    return found.result if found else None


INVOICES = {"invoices": [
    {"id": 1, "number": "INV-0001", "client": "Acme Corp", "outstanding_cents": 930000, "currency": "USD",
     "due_on": "2026-11-15", "days_overdue": 17, "status": "overdue"},
    {"id": 2, "number": "INV-0002", "client": "Globex", "outstanding_cents": 828050, "currency": "USD",
     "due_on": "2026-11-22", "days_overdue": 1, "status": "overdue"},
], "count": 2}


def test_an_invoice_list_shows_each_invoice_and_the_total() -> None:
    answer = answer_for("List overdue invoices", INVOICES, spec("list_invoices"))
    assert answer is not None
    assert answer.title == "List overdue invoices: 2 invoices"
    assert answer.rows[0][:4] == ("INV-0001", "Acme Corp", "9,300.00 USD", "Sun 15 Nov 2026")
    assert answer.rows[0][4] == "17 days late" and answer.rows[1][4] == "1 day late"
    assert answer.total == "outstanding 17,580.50 USD"


@pytest.mark.parametrize(("count", "words"), [(0, "no clients"), (1, "1 client"), (2, "2 clients"),
                                               (1200, "1,200 clients")])
def test_counts_read_as_english(count: int, words: str) -> None:
    assert ResultSpec(noun="client").counted(count) == words


@pytest.mark.parametrize(("noun", "plural", "many"), [
    ("deal", None, "3 deals"), ("person", "people", "3 people"), ("reminder sent", "reminders sent", "3 reminders sent"),
    ("company", None, "3 companies"), ("day", None, "3 days"), ("box", None, "3 boxes")])
def test_plurals(noun: str, plural: str | None, many: str) -> None:
    assert ResultSpec(noun=noun, plural=plural).counted(3) == many


def test_a_for_each_write_lists_every_item_it_did() -> None:
    output = {"results": [
        {"number": "INV-0001", "client": "Acme Corp", "to": "billing@acme.example", "outstanding_cents": 100,
         "currency": "USD", "days_overdue": 3},
        {"number": "INV-0002", "client": "Globex", "to": "ap@globex.example", "outstanding_cents": 250,
         "currency": "USD", "days_overdue": 9}]}
    answer = answer_for("Send a payment reminder for each", output, spec("send_reminder"), for_each=True)
    assert answer is not None and answer.title.endswith("2 reminders sent")
    assert [r[2] for r in answer.rows] == ["billing@acme.example", "ap@globex.example"]
    assert answer.total == "chased 3.50 USD"


def test_an_undeclared_tool_result_becomes_a_table_of_its_items() -> None:
    output = {"tickets": [{"key": "OPS-1", "summary": "Printer", "nested": {"x": 1}},
                          {"key": "OPS-2", "summary": "VPN"}]}
    answer = answer_for("Search tickets", output, None)
    assert answer is not None and answer.columns == ("key", "summary")
    assert answer.rows == (("OPS-1", "Printer"), ("OPS-2", "VPN"))


def test_long_answers_say_how_many_more_and_where() -> None:
    many = {"invoices": [dict(INVOICES["invoices"][0], number=f"INV-{n:04d}") for n in range(25)]}
    answer = answer_for("List invoices", many, spec("list_invoices"), run_id=42)
    assert answer is not None
    text = answer_lines(answer)
    assert sum("INV-" in line for line in text) == 10
    assert "  … and 15 more (deputy runs show 42)" in text


def test_only_the_steps_nobody_consumes_are_answers() -> None:
    class S:
        def __init__(self, step_id: str, action: str, args: dict[str, object], for_each: str | None = None):
            self.step_id, self.action, self.args, self.for_each, self.note = step_id, action, args, for_each, ""

    steps = [S("s1", "local.list_invoices", {"status": "overdue"}),
             S("s2", "local.send_reminder", {"invoice_id": {"$ref": "item.id"}}, for_each="s1.invoices")]
    outputs = {"s1": INVOICES, "s2": {"results": [{"number": "INV-0001", "to": "a@b.example"}]}}
    answers = leaf_answers(steps, outputs, lambda a: spec(a.split(".", 1)[1]), run_id=7)
    assert [a.title for a in answers] == ["local.send_reminder: 1 reminder sent"]


@pytest.mark.parametrize(("output", "words"), [
    ({"clients": [{}], "count": 1}, "1 client"), ({"clients": [{}, {}], "count": 2}, "2 clients"),
    ({"people": [{}], "count": 1}, "1 person"), ({"deals": [], "count": 0}, "0 deals"),
    ({"companies": [{}], "count": 1}, "1 company")])
def test_card_counts_read_as_english(output: dict[str, object], words: str) -> None:
    from bot.flow.cards import summarise_output

    assert summarise_output(output) == words


def _spec(integration: str, action: str) -> ResultSpec | None:
    found = load_manifest(ROOT / f"integrations/{integration}/manifest.yaml").action(action)
    return found.result if found else None


def test_stripe_overdue_invoices_show_customer_amount_and_total() -> None:
    output = {"invoices": [
        {"number": "A-1", "customer_email": "ap@acme.example", "amount_remaining": 150000, "currency": "usd",
         "due_date": "2026-11-01T00:00:00+00:00", "days_overdue": 24},
        {"number": "A-2", "customer_email": "ap@globex.example", "amount_remaining": 5050, "currency": "usd",
         "due_date": "2026-11-20T00:00:00+00:00", "days_overdue": 5}], "count": 2}
    answer = answer_for("Overdue on Stripe", output, _spec("invoicing", "list_overdue"))
    assert answer is not None and answer.title == "Overdue on Stripe: 2 overdue invoices"
    assert answer.rows[0][:3] == ("A-1", "ap@acme.example", "1,500.00 USD")
    assert answer.total == "outstanding 1,550.50 USD"


def test_hubspot_contacts_show_their_properties() -> None:
    output = {"results": [{"id": "1", "properties": {"firstname": "Maria", "lastname": "Gonzalez",
                                                       "email": "maria@acme.example", "jobtitle": "CTO"}}],
              "count": 1}
    answer = answer_for("Find Maria", output, _spec("crm", "search_contacts"))
    assert answer is not None and answer.title == "Find Maria: 1 contact"
    assert answer.rows == (("Maria", "Gonzalez", "maria@acme.example", "CTO"),)
