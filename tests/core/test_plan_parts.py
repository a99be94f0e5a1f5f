import pytest

from bot.chat.buttons import BadButton, ButtonId, parse_button
from bot.chat.events import StepEdit
from bot.domain import PlanDraft, Step
from bot.errors import UserError
from bot.flow.edits import parse_modify
from bot.planning.refs import RefError, resolve
from bot.planning.validation import validate_plan
from bot.registry import load_manifest
from tests.support.paths import INTEGRATIONS

MANIFEST = load_manifest(INTEGRATIONS / "local" / "manifest.yaml")


class Catalog:
    def spec(self, action: str):  # type: ignore[no-untyped-def]
        integration, _, name = action.partition(".")
        return MANIFEST.action(name) if integration == "local" else None


def test_button_ids_round_trip() -> None:
    button = ButtonId(12, 3, "approve")
    assert str(button) == "deputy:12:3:approve"
    assert parse_button(str(button)) == button


@pytest.mark.parametrize("raw", ["", "deputy", "deputy:1:2", "slack:1:2:approve", "deputy:x:2:approve",
                                 "deputy:1:2:delete", "deputy:1:2:approve:extra"])
def test_malformed_button_ids_are_refused(raw: str) -> None:
    with pytest.raises(BadButton):
        parse_button(raw)


def test_references_resolve_through_dicts_and_lists() -> None:
    scope = {"s1": {"slots": [{"start": "10:00"}], "emails": ["a@x", "b@x"]}, "item": {"id": 7}}
    args = {"start": {"$ref": "s1.slots.0.start"}, "to": {"$ref": "s1.emails"}, "id": {"$ref": "item.id"}}
    assert resolve(args, scope) == {"start": "10:00", "to": ["a@x", "b@x"], "id": 7}
    with pytest.raises(RefError, match="'missing'"):
        resolve({"x": {"$ref": "s1.missing"}}, scope)


def test_valid_plan_passes_validation() -> None:
    draft = PlanDraft(summary="chase", steps=[
        Step(id="s1", action="local.list_invoices", args={"status": "overdue"}),
        Step(id="s2", action="local.send_reminder", for_each="s1.invoices",
             args={"invoice_id": {"$ref": "item.id"}}),
    ])
    assert validate_plan(draft, Catalog()) == []


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ([Step(id="s1", action="local.order_pizza")], "unknown action"),
        ([Step(id="s1", action="local.send_reminder", args={"invoice_id": "seven"})], "not of type 'integer'"),
        ([Step(id="s1", action="local.send_reminder", args={})], "'invoice_id' is a required property"),
        ([Step(id="s1", action="local.send_reminder", args={"invoice_id": {"$ref": "s2.id"}}),
          Step(id="s2", action="local.list_invoices")], "earlier step"),
        ([Step(id="s1", action="local.send_reminder", args={"invoice_id": {"$ref": "item.id"}})], "no for_each"),
        ([Step(id="s1", action="local.list_invoices"), Step(id="s1", action="local.list_invoices")], "duplicate"),
        ([], "no steps"),
    ],
)
def test_invalid_plans_are_explained(steps: list[Step], problem: str) -> None:
    errors = validate_plan(PlanDraft(summary="x", steps=steps), Catalog())
    assert any(problem in e for e in errors), errors


def test_modify_parses_values_with_spaces() -> None:
    assert parse_modify("3 title=Quarterly review location=Room 4") == (
        StepEdit(3, "title", "Quarterly review"), StepEdit(3, "location", "Room 4"))


@pytest.mark.parametrize("text", ["", "x title=a", "3", "3 title", "3 =value"])
def test_malformed_modify_is_refused(text: str) -> None:
    with pytest.raises(UserError):
        parse_modify(text)
