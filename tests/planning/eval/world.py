"""The world the planner evaluation runs in: the demo agency, seen by Ana Lima on a fixed
Wednesday morning in London, with the local integration's own manifest as the catalogue."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain import Actor
from bot.planning.protocol import KnownPerson, PlanningContext
from bot.registry import ActionSpec, load_manifest
from integrations.local.demo import AGENCY, CLIENTS, TEAM

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(ROOT / "integrations/local/manifest.yaml")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/London"))

PEOPLE = tuple(sorted(
    [KnownPerson(name, email, AGENCY) for name, email, _title in TEAM]
    + [KnownPerson(name, email, client[0]) for client in CLIENTS for name, email, _title in client[5]],
    key=lambda p: p.name,
))
CLIENT_NAMES = tuple(client[0] for client in CLIENTS)


class LocalCatalog:
    def spec(self, action: str) -> ActionSpec | None:
        integration, _, name = action.partition(".")
        return MANIFEST.action(name) if integration == "local" else None


def context(history: tuple[tuple[str, str], ...] = ()) -> PlanningContext:
    return PlanningContext(
        requester=Actor(platform="shell", team_id="demo", user_id="ana", display_name="Ana Lima",
                        timezone="Europe/London"),
        now=NOW, timezone="Europe/London", actions=LocalCatalog(),
        people=PEOPLE, clients=CLIENT_NAMES, history=history,
    )
