"""Write rate limits, counted from what really ran (step_results), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain import Effect, Step, StepStatus
from bot.policy import parse_policy
from bot.policy.ratelimit import rate_limit_problem
from bot.store.database import Database
from bot.store.tables import ActorRow, GoalRow, PlanRow, PlanVersionRow, RunRow, StepResultRow

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ALICE, BOB, CARL = "slack:T1:alice", "slack:T1:bob", "slack:T2:carl"

POLICY = parse_policy("""
default: deny
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: invoices
    match: {action: [create_invoice, send_invoice]}
    verdict: require_approval
    rate_limit: {max: 3, per: 1h, scope: user}
  - name: team-reminders
    match: {action: send_reminder}
    verdict: require_approval
    rate_limit: {max: 4, per: 30m, scope: team}
  - name: other-local-writes
    match: {integration: local, effect: write}
    verdict: allow
    rate_limit: {max: 2, per: 1d}
  - name: everything-else
    match: {}
    verdict: require_approval
""", "limits.yaml")


@dataclass(frozen=True)
class _Spec:
    effect: Effect


class Effects:
    """The registry's answer to "what effect has this action", for the actions these tests use."""

    READS = {"list_invoices", "list_clients"}

    def spec(self, action: str) -> _Spec:
        return _Spec(Effect.READ if action.split(".")[1] in self.READS else Effect.WRITE)


class Ledger:
    """Writes goals, runs and step results the way the executor leaves them."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.step = 0

    async def ran(self, requester: str, action: str, *, ago: timedelta, status: StepStatus = StepStatus.SUCCEEDED,
                  args: Any = None) -> None:
        platform, team, user = requester.split(":")
        self.step += 1
        async with self.database.session(team=f"{platform}:{team}") as s:  # the requester's team, as a run's
            if await s.get(ActorRow, requester) is None:
                s.add(ActorRow(key=requester, platform=platform, team_id=team, user_id=user))
                await s.flush()
            goal = GoalRow(requester_key=requester, platform=platform, channel_id="C1", text="t", status="done")
            s.add(goal)
            await s.flush()
            plan = PlanRow(goal_id=goal.id or 0)
            s.add(plan)
            await s.flush()
            version = PlanVersionRow(plan_id=plan.id or 0, version=1, summary="s", fingerprint="f", status="approved")
            s.add(version)
            await s.flush()
            run = RunRow(goal_id=goal.id or 0, plan_version_id=version.id or 0, status="succeeded")
            s.add(run)
            await s.flush()
            s.add(StepResultRow(run_id=run.id or 0, step_id="s1", action=action, idempotency_key=f"k{self.step}",
                                status=status, args=args if args is not None else {}, finished_at=NOW - ago))


async def problem(database: Database, action: str, requester: str = ALICE, *, effect: Effect = Effect.WRITE,
                  calls: int = 1) -> str | None:
    team = requester.split(":")[1]
    # across teams: the requester's team is told apart by the count itself (its prefix)
    async with database.session(all_teams=True) as s:
        return await rate_limit_problem(s, POLICY, Step(id="s1", action=action), requester, team, NOW,
                                        effect=effect, calls=calls, registry=Effects())


async def test_per_user_limit_counts_only_recent_successes_of_matching_actions(database: Database) -> None:
    ledger = Ledger(database)
    await ledger.ran(ALICE, "local.create_invoice", ago=timedelta(minutes=5))
    await ledger.ran(ALICE, "local.send_invoice", ago=timedelta(minutes=50))
    await ledger.ran(ALICE, "local.create_invoice", ago=timedelta(minutes=61))  # outside the hour
    await ledger.ran(ALICE, "local.create_invoice", ago=timedelta(minutes=1), status=StepStatus.FAILED)
    await ledger.ran(ALICE, "local.list_invoices", ago=timedelta(minutes=1))  # another rule's action
    await ledger.ran(BOB, "local.create_invoice", ago=timedelta(minutes=1))  # someone else
    assert await problem(database, "local.create_invoice") is None  # 2 done + 1 = 3
    await ledger.ran(ALICE, "local.create_invoice", ago=timedelta(minutes=2))
    message = await problem(database, "local.create_invoice")
    assert message is not None
    assert "rule `invoices`" in message and "at most 3 per 1h per user" in message and "made 3" in message
    assert await problem(database, "local.create_invoice", BOB) is None


async def test_for_each_counts_one_call_per_item(database: Database) -> None:
    ledger = Ledger(database)
    await ledger.ran(ALICE, "local.create_invoice", ago=timedelta(minutes=5), args=[{"client_id": 1}, {"client_id": 2}])
    assert await problem(database, "local.create_invoice") is None
    assert await problem(database, "local.create_invoice", calls=2) is not None


async def test_team_limit_counts_the_whole_team_and_only_it(database: Database) -> None:
    ledger = Ledger(database)
    for who in (ALICE, BOB, BOB):
        await ledger.ran(who, "local.send_reminder", ago=timedelta(minutes=10))
    await ledger.ran(CARL, "local.send_reminder", ago=timedelta(minutes=10))  # another workspace
    await ledger.ran(ALICE, "local.send_reminder", ago=timedelta(minutes=31))  # outside 30m
    assert await problem(database, "local.send_reminder", ALICE) is None
    await ledger.ran(ALICE, "local.send_reminder", ago=timedelta(minutes=1))
    message = await problem(database, "local.send_reminder", BOB)
    assert message is not None and "your team already made 4" in message
    assert await problem(database, "local.send_reminder", CARL) is None


async def test_effect_filter_uses_the_registry_and_unlimited_rules_never_refuse(database: Database) -> None:
    ledger = Ledger(database)
    await ledger.ran(ALICE, "local.add_note", ago=timedelta(hours=3))
    await ledger.ran(ALICE, "local.list_clients", ago=timedelta(hours=3))  # a read: not counted
    await ledger.ran(ALICE, "local.update_contact", ago=timedelta(hours=2))
    assert await problem(database, "local.create_contact") is not None  # 2 writes today already
    assert await problem(database, "crm.create_note") is None  # everything-else has no limit
    assert await problem(database, "local.list_clients", effect=Effect.READ) is None
