"""Approved multi-step runs put straight into the store, as the approval flow would leave them.

A run writes either to a test integration of the ledger (``recorder``, ``plainrecorder``) or
to a real integration against its fake or real local server (``crm`` → the HubSpot fake,
``email`` → aiosmtpd, ``invoicing`` → the Stripe fake); every write carries a label (a note's
body, a message's subject, a customer's name) by which the server's store is counted.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain import Actor, ApprovalDecision, GoalStatus, PlanDraft, PlanStatus, Step, Where
from bot.store import audit, goals, runs
from bot.store.database import Database
from bot.store.goals import StepVerdict
from tests.reliability.effects_ledger import IDEMPOTENT, PLAIN

REQUESTER = Actor(platform="shell", team_id="local", user_id="ana", display_name="Ana")


# the HubSpot fake's first record: the company the crash harness's notes go to
HUBSPOT_COMPANY = "1001"
REAL = ("crm", "email", "invoicing")
# integrations that honour idempotency keys: their runs always resume and succeed
IDEMPOTENT_INTEGRATIONS = frozenset({IDEMPOTENT, "invoicing"})


@dataclass(frozen=True)
class QueuedRun:
    run_id: int
    integration: str
    items: int  # how many writes the for_each step makes
    goal_no: int = 0

    def writes(self) -> list[tuple[str, str | None, str]]:
        """(step, item index, label) of every write, in order."""
        tag = f"g{self.goal_no}"
        return [("s2", None, f"{tag}-s2"),
                *[("s3", str(i), f"{tag}-s3-{i}") for i in range(self.items)],
                ("s4", None, f"{tag}-s4")]


def write_step(step_id: str, integration: str, label: Any, for_each: str | None = None) -> Step:
    """One labelled write to ``integration``."""
    action, args = {
        "crm": ("crm.create_note", {"object_type": "companies", "record_id": HUBSPOT_COMPANY,
                                    "body": label}),
        "email": ("email.send", {"to": ["ops@acme.example"], "subject": label,
                                 "body": "Sent by the crash harness."}),
        "invoicing": ("invoicing.create_customer", {"name": label, "email": "billing@acme.example"}),
    }.get(integration, (f"{integration}.write", {"label": label}))
    return Step(id=step_id, action=action, args=args, for_each=for_each)


def crash_plan(goal_no: int, integration: str, items: int) -> PlanDraft:
    """A read, a write, one write per listed item, and a last write: four steps, 2 + items writes."""
    tag = f"g{goal_no}"
    lister = IDEMPOTENT if integration in REAL else integration
    return PlanDraft(summary=f"crash-test plan {tag}", steps=[
        Step(id="s1", action=f"{lister}.list_items", args={"prefix": f"{tag}-s3", "count": items}),
        write_step("s2", integration, f"{tag}-s2"),
        write_step("s3", integration, {"$ref": "item.label"}, for_each="s1.items"),
        write_step("s4", integration, f"{tag}-s4"),
    ])


def _verdicts(draft: PlanDraft) -> list[StepVerdict]:
    return [StepVerdict(effect="read" if s.id == "s1" else "write",
                        verdict="allow" if s.id == "s1" else "require_approval",
                        reason="crash harness", rule="crash-harness") for s in draft.steps]


async def queue_runs(database: Database, count: int, rng: random.Random,
                     plain_share: float = 0.3, real: Sequence[str] = ()) -> list[QueuedRun]:
    """``real``: integrations that get the first runs (one each) and 40 % of the rest."""
    queued: list[QueuedRun] = []
    async with database.session(team=REQUESTER.team_key) as session:
        await goals.upsert_actor(session, REQUESTER)
    for goal_no in range(1, count + 1):
        if goal_no <= len(real):
            integration = real[goal_no - 1]
        elif real and rng.random() < 0.4:
            integration = rng.choice(list(real))
        else:
            integration = PLAIN if rng.random() < plain_share else IDEMPOTENT
        items = rng.randint(1, 3)
        draft = crash_plan(goal_no, integration, items)
        async with database.session(team=REQUESTER.team_key) as session:
            goal = await goals.create_goal(session, REQUESTER, Where(platform="shell", channel_id="crash"),
                                           draft.summary, f"crash-{goal_no}")
            assert goal is not None and goal.id is not None
            view = await goals.add_version(session, goal, draft, _verdicts(draft), approvals_required=1,
                                           requester_may_approve=True, reason="planned", author_key=None)
            assert view.version.id is not None
            await goals.record_decision(session, view.version, REQUESTER, ApprovalDecision.APPROVE)
            await audit.append(session, "approve", actor_key=REQUESTER.key, goal_id=goal.id,
                               data={"plan": view.plan.id, "version": 1, "fingerprint": view.version.fingerprint})
            await goals.set_version_status(session, view.version, PlanStatus.APPROVED)
            await goals.set_goal_status(session, goal, GoalStatus.RUNNING)
            run, _ = await runs.create_run(session, goal.id, view.version.id)
            assert run.id is not None
            await audit.append(session, "run_queued", actor_key=REQUESTER.key, goal_id=goal.id,
                               data={"run": run.id})
        queued.append(QueuedRun(run.id, integration, items, goal_no))
    return queued
