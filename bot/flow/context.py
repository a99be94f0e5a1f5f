"""Builds what a planner may know about a goal: time, people, clients, thread, policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.domain import Actor
from bot.planning import PlanningContext
from bot.planning.protocol import KnownPerson

if TYPE_CHECKING:
    from bot.app import Deputy


def policy_summary(app: Deputy) -> str:
    lines = [f"- {r.name}: {r.verdict.value} ({r.description or r.reason or 'no description'})"
             for r in app.policy.rules]
    lines.append(f"- anything else: {app.policy.default.value}")
    return "\n".join(lines)


async def planning_context(app: Deputy, actor: Actor,
                           history: tuple[tuple[str, str], ...] = ()) -> PlanningContext:
    timezone = actor.timezone if actor.timezone and actor.timezone != "UTC" else app.settings.timezone
    people: list[KnownPerson] = []
    clients: list[str] = []
    # integrations that keep a directory offer it to the planner (names only, no secrets)
    for name in app.registry.names:
        loaded = app.registry.get(name)
        client: Any = loaded.client if loaded else None
        if client is not None and hasattr(client, "known_people"):
            people.extend(KnownPerson(name=n, email=e, company=c) for n, e, c in await client.known_people())
        if client is not None and hasattr(client, "client_names"):
            clients.extend(await client.client_names())
    return PlanningContext(
        requester=actor, now=app.clock().astimezone(ZoneInfo(timezone)), timezone=timezone,
        actions=app.registry, people=tuple(people), clients=tuple(clients), history=history,
        policy_summary=policy_summary(app),
    )
