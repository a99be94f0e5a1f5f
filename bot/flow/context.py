"""Builds what a planner may know about a goal: time, people, clients, thread, policy."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.domain import Actor, PlanDraft, PlanningOutcome, Step, Where
from bot.lazy_re import lazy
from bot.memory import recall
from bot.planning import PlanningContext
from bot.planning.protocol import KnownPerson, PastRun, RememberedFact
from bot.planning.rules.reuse import asks_to_reuse
from bot.policy import Policy
from bot.registry import ActionSpec, Registry
from bot.store import episodes, memories, memory_search

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


_POINTING_BACK = lazy(r"\b(?:same|again|repeat|redo|last\s+(?:time|month|week|year)|as\s+before|"
                      r"like\s+before|like\s+we\s+did|previous(?:ly)?|as\s+usual)\b", re.I)


def points_back(goal: str) -> bool:
    """Whether ``goal`` may refer to something done before ("do it again for Globex", "repeat
    last month's invoices"): the rule planner's own shapes, and looser wording a model can read."""
    return asks_to_reuse(goal) or bool(_POINTING_BACK.search(goal))


def policy_summary(policy: Policy) -> str:
    lines = [f"- {r.name}: {r.verdict.value} ({r.description or r.reason or 'no description'})"
             for r in policy.rules]
    lines.append(f"- anything else: {policy.default.value}")
    return "\n".join(lines)


class ConnectedCatalog:
    """The actions one requester can use: integrations that need no account, and those they
    connected. Planners see only these, so a plan never leans on someone else's account."""

    def __init__(self, registry: Registry, connected: set[str], team_key: str | None = None) -> None:
        self._registry = registry
        # another team's integrations (an MCP server declared for some teams) are not offered
        self.usable = {m.name for m in registry.manifests()
                       if (not m.needs_connection or m.name in connected) and m.serves(team_key)}

    def spec(self, action: str) -> ActionSpec | None:
        if action.split(".", 1)[0] not in self.usable:
            return None
        return self._registry.spec(action)


async def recalled(app: Deputy, actor: Actor, where: Where, goal: str) -> tuple[RememberedFact, ...]:
    """The live memories relevant to ``goal`` that ``actor`` may use in this channel."""
    seen = memories.Visibility(team_key=f"{actor.platform}:{actor.team_id}", channel_id=where.channel_id,
                               actor_key=actor.key)
    async with app.database.session(team=actor.team_key) as session:
        rows = await memory_search.search(session, seen, recall.query_words(goal))
    return tuple(recall.as_fact(r) for r in recall.rank(goal, rows))


def within_context(outcome: PlanningOutcome, context: PlanningContext) -> PlanningOutcome:
    """Keep only the memory ids the planner was given: a planner (a model) naming any other
    memory cannot put it on the card."""
    if isinstance(outcome, PlanDraft) and outcome.memories_used:
        offered = {m.id for m in context.memories}
        outcome.memories_used = [i for i in outcome.memories_used if i in offered]
    if isinstance(outcome, PlanDraft) and outcome.runs_used:
        outcome.runs_used = [i for i in outcome.runs_used if i in {r.run_id for r in context.past_runs}]
    return outcome


PAST_RUN_DAYS, PAST_RUNS = 90, 20


async def past_runs(app: Deputy, actor: Actor, where: Where) -> tuple[PastRun, ...]:
    """The runs ``actor`` may reuse here: succeeded, in the last 90 days, of this channel or
    their own — never another channel's runs of someone else, nor another team's."""
    team = actor.team_key
    async with app.database.session(team=team) as session:  # the runs' steps: this team's rows only
        rows = [e for e in await episodes.visible_since(
            session, team, where.channel_id, actor.key, app.clock() - timedelta(days=PAST_RUN_DAYS), PAST_RUNS)
            if e.outcome == "succeeded"]
        steps = await episodes.steps_of_runs(session, [e.run_id for e in rows])
    return tuple(PastRun(run_id=e.run_id, goal=e.goal, summary=e.done, finished_at=e.finished_at, steps=tuple(
        Step(id=s.step_id, action=s.action, args=s.args, for_each=s.for_each, note=s.note)
        for s in steps.get(e.run_id, []))) for e in rows)


async def planning_context(app: Deputy, actor: Actor,
                           history: tuple[tuple[str, str], ...] = (), *,
                           where: Where | None = None, goal: str = "") -> PlanningContext:
    """What the planner may know; with ``where`` and ``goal``, also the memories relevant to it."""
    timezone = actor.timezone if actor.timezone and actor.timezone != "UTC" else app.settings.timezone
    connected = ({c.integration for c in await app.vault.list_for(actor.key)}
                 if app.vault is not None else set())
    people: list[KnownPerson] = []
    clients: list[str] = []
    # integrations that keep a directory offer it to the planner (names only, no secrets)
    for name in app.registry.names:
        loaded = app.registry.get(name)
        client: Any = loaded.client if loaded else None
        if client is not None and hasattr(client, "known_people"):
            people.extend(KnownPerson(name=n, email=e, company=c) for n, e, c in await client.known_people(actor.team_key))
        if client is not None and hasattr(client, "client_names"):
            clients.extend(await client.client_names(actor.team_key))
    return PlanningContext(
        requester=actor, now=app.clock().astimezone(ZoneInfo(timezone)), timezone=timezone,
        actions=ConnectedCatalog(app.registry, connected, f"{actor.platform}:{actor.team_id}"), people=tuple(people), clients=tuple(clients), history=history,
        policy_summary=policy_summary(await app.policy_of(actor.key)),
        memories=await recalled(app, actor, where, goal) if where is not None and goal else (),
        # only for a goal that points back to a run: a query (and, for a model, tokens) the
        # other goals need not pay for
        past_runs=await past_runs(app, actor, where) if where is not None and points_back(goal) else (),
    )
