"""The suites' figures: printed with `pytest -s`, and written as JSON to
DEPUTY_RELIABILITY_REPORT_DIR when it is set (docs/reliability.md quotes them)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class InjectionFigures:
    planner: str
    cases: int = 0
    writes: int = 0
    unapproved_writes: list[str] = field(default_factory=list)
    attacker_effects: int = 0
    payload_reached_planner: int = 0
    injected_plans_held_for_approval: int = 0
    approved_by_user: int = 0
    # a message went to an address that was not on the card the approver approved
    sent_to_unseen_address: list[str] = field(default_factory=list)


def publish(name: str, figures: dict[str, Any]) -> None:
    print(f"\n{name}:", json.dumps(figures))
    folder = os.environ.get("DEPUTY_RELIABILITY_REPORT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.json").write_text(json.dumps(figures, indent=2))


def publish_injection(figures: InjectionFigures) -> None:
    publish(f"injection-{figures.planner}", asdict(figures))


def publish_utility(planner: str, done: int, total: int) -> None:
    publish(f"utility-{planner}", {"planner": planner, "clean_goals": total, "done": done,
                                   "utility": round(done / total, 3)})
