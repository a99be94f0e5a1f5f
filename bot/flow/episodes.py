"""Records the episode of every finished run (bot/store/episodes.py): what was asked, what
was done, for whom, when, and how it ended."""

from __future__ import annotations

from typing import Any

from bot.core.deputy import Deputy
from bot.store import episodes, runs
from bot.store.episodes import EpisodeRow
from bot.store.goals import PlanView
from bot.store.tables import StepRow

# the arguments that name whom a step was for
_WHO = ("to", "attendees", "email", "person", "name", "contact", "client", "company", "customer")


def people(args: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in _WHO:
        value = args.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item and not item.startswith("{{") and item not in found:
                found.append(item)
    return found


def reached(output: Any) -> list[str]:
    """Whom a write step's output says it reached: "Acme Corp (invoice INV-2026-0007)" for
    each invoice sent or reminded about."""
    items = output.get("results", [output]) if isinstance(output, dict) else []
    found = []
    for item in items if isinstance(items, list) else []:
        invoice = item.get("invoice", item) if isinstance(item, dict) else None
        if isinstance(invoice, dict) and invoice.get("number") and (item.get("client") or invoice.get("client")):
            found.append(f"{item.get('client') or invoice.get('client')} (invoice {invoice['number']})")
    return found


async def record_episode(app: Deputy, view: PlanView, run_id: int, failed: StepRow | None) -> None:
    goal = view.goal
    assert goal.id is not None
    who: list[str] = []
    async with app.database.session(team=goal.team_key) as session:
        # the arguments as sent (references resolved), else as planned
        results = await runs.step_results(session, run_id)
        for step in view.steps:
            result = results.get(step.step_id)
            sent: Any = result.args if result is not None and result.args else step.args
            for args in sent if isinstance(sent, list) else [sent]:  # a for_each step: one per item
                if isinstance(args, dict):
                    who.extend(p for p in people(args) if p not in who)
            if result is not None and step.effect != "read":
                who.extend(p for p in reached(result.result) if p not in who)
        # "Acme Corp" said once: "Acme Corp (invoice INV-7)" names it already
        who = [p for p in who if not any(o.startswith(f"{p} (invoice ") for o in who)]
        await episodes.record(session, EpisodeRow(
            run_id=run_id, goal_id=goal.id, team_key=f"{goal.platform}:{goal.team_id}",
            channel_id=goal.channel_id, requester_key=goal.requester_key, goal=goal.text,
            done=view.version.summary, actions=[s.action for s in view.steps], people=who[:50],
            outcome="failed" if failed is not None else "succeeded", finished_at=app.clock()))
