"""Shared set-up for the rule planner tests: a fixed clock, known people and clients, and
an action catalogue read straight from the local manifest (not from its Python code)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain import Actor, PlanDraft, PlanningOutcome
from bot.planning.protocol import KnownPerson, PlanningContext
from bot.planning.rules import RulePlanner
from bot.planning.validation import validate_plan
from bot.registry import ActionSpec, load_manifest

MANIFEST = load_manifest(Path(__file__).resolve().parents[2] / "integrations/local/manifest.yaml")
LONDON = ZoneInfo("Europe/London")
# a Wednesday
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)
PEOPLE = (
    KnownPerson("Alice Martin", "alice@example.com", "Acme Corp"),
    KnownPerson("Bob Chen", "bob@example.com", "Globex"),
    KnownPerson("Carol Diaz", "carol@example.com", "Initech"),
    KnownPerson("Dan Okafor", "dan@example.com", "Umbrella Health"),
    KnownPerson("Erin Walsh", "erin@example.com", "Acme Corp"),
)
CLIENTS = ("Acme Corp", "Globex", "Initech", "Umbrella Health")


class LocalCatalog:
    def spec(self, action: str) -> ActionSpec | None:
        integration, _, name = action.partition(".")
        return MANIFEST.action(name) if integration == "local" else None


class EmptyCatalog:
    def spec(self, action: str) -> ActionSpec | None:
        return None


def make_context(
    history: tuple[tuple[str, str], ...] = (),
    requester_name: str = "Sam Lead",
    now: datetime = NOW,
    people: tuple[KnownPerson, ...] = PEOPLE,
) -> PlanningContext:
    return PlanningContext(
        requester=Actor(platform="shell", team_id="t", user_id="u1", display_name=requester_name,
                        timezone="Europe/London"),
        now=now,
        timezone="Europe/London",
        actions=LocalCatalog(),
        people=people,
        clients=CLIENTS,
        history=history,
    )


async def plan_of(goal: str, **kwargs: object) -> PlanningOutcome:
    return await RulePlanner().plan(goal, make_context(**kwargs))  # type: ignore[arg-type]


def assert_valid(outcome: PlanningOutcome) -> PlanDraft:
    assert isinstance(outcome, PlanDraft), outcome
    assert validate_plan(outcome, LocalCatalog()) == []
    assert [s.id for s in outcome.steps] == [f"s{i}" for i in range(1, len(outcome.steps) + 1)]
    assert all(s.note for s in outcome.steps)
    assert "\n" not in outcome.summary and outcome.summary
    return outcome


def shape(draft: PlanDraft) -> list[tuple[str, str | None]]:
    return [(s.action.removeprefix("local."), s.for_each) for s in draft.steps]
