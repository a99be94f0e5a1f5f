"""The core's tables. Integrations that keep data in Deputy's database define their own
tables in ``integrations/<name>/tables.py``; migrations cover both.

JSON columns hold pydantic-serialised domain records (steps, arguments, results).
Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

# the store's clock (the app's, in a session): rows and repositories stamp times with it
from bot.store.clock import utcnow as utcnow
from bot.store.types import TeamScoped, UTCDateTime


class ActorRow(SQLModel, table=True):
    __tablename__ = "actors"

    key: str = Field(primary_key=True, max_length=200)  # platform:team:user
    platform: str = Field(max_length=20)
    team_id: str = Field(max_length=80)
    user_id: str = Field(max_length=80)
    display_name: str = Field(default="", max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

class GoalRow(TeamScoped, table=True):
    __tablename__ = "goals"
    __table_args__ = (
        # a platform retry carries the same event id: it must never create a second goal
        UniqueConstraint("platform", "source_event_id", name="uq_goals_source_event"),
        Index("ix_goals_thread", "platform", "channel_id", "thread_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    requester_key: str = Field(foreign_key="actors.key", max_length=200)
    platform: str = Field(max_length=20)
    # the Slack workspace / Discord guild the goal belongs to: only its people act on it
    team_id: str = Field(default="", max_length=80)
    channel_id: str = Field(max_length=120)
    thread_id: str | None = Field(default=None, max_length=120)
    source_event_id: str | None = Field(default=None, max_length=200)
    text: str
    # the requester's platform groups when they asked (Slack user groups, Discord roles)
    requester_groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=20, index=True)
    # tokens spent on planning this goal (model planners): input/output/cache_read/cache_write
    usage: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

class PlanRow(TeamScoped, table=True):
    __tablename__ = "plans"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goals.id", index=True)
    current_version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

class PlanVersionRow(TeamScoped, table=True):
    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "version", name="uq_plan_versions"),
        # the console's Waiting for you reads the few proposed versions among many decided
        Index("ix_plan_versions_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plans.id", index=True)
    version: int
    summary: str
    fingerprint: str = Field(max_length=64)
    status: str = Field(max_length=20)
    reason: str = Field(default="", description="Why this version exists: planned, modified, re-planned.")
    author_key: str | None = Field(default=None, max_length=200)
    approvals_required: int = 0
    requester_may_approve: bool = True
    # changed by someone other than the requester: it runs with the requester's accounts, so
    # it also needs the requester's own approval, whatever the policy says
    requester_consent: bool = False
    # which model planned it ("llama3.1:8b on openai-compatible", or the rules and why): every
    # redraw of the card says so; "" for the rule planner and for versions a person changed
    planned_by: str = ""
    # the memories that shaped it (ids): every redraw of the card names them ("Using: …")
    memories_used: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # the past runs it reuses (ids): every redraw of the card names them ("Using: run #…")
    runs_used: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

class StepRow(TeamScoped, table=True):
    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("plan_version_id", "step_id", name="uq_steps"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_version_id: int = Field(foreign_key="plan_versions.id", index=True)
    position: int
    step_id: str = Field(max_length=40)
    action: str = Field(max_length=120)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    for_each: str | None = Field(default=None, max_length=200)
    note: str = ""
    effect: str = Field(max_length=20)
    verdict: str = Field(max_length=30)
    verdict_reason: str = ""
    rule: str = Field(default="", max_length=120)

class ApprovalRow(TeamScoped, table=True):
    __tablename__ = "approvals"
    __table_args__ = (
        # one decision per person per version: a double click records nothing new
        UniqueConstraint("plan_version_id", "approver_key", name="uq_approvals_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_version_id: int = Field(foreign_key="plan_versions.id", index=True)
    approver_key: str = Field(foreign_key="actors.key", max_length=200)
    decision: str = Field(max_length=10)
    fingerprint: str = Field(max_length=64)
    # the approver's platform groups when they decided, so group quorums count them
    groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

class RunRow(TeamScoped, table=True):
    __tablename__ = "runs"
    __table_args__ = (
        # approving twice must never start two runs of one version
        UniqueConstraint("plan_version_id", name="uq_runs_version"),
        Index("ix_runs_claim", "status", "lease_until"),
        # the claim's ORDER BY id LIMIT 1 walks this, not every finished run (migration c7d2e8f4a1b6)
        Index("ix_runs_open", "id", postgresql_where=text("status IN ('queued', 'running')"),
              sqlite_where=text("status IN ('queued', 'running')")),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goals.id", index=True)
    plan_version_id: int = Field(foreign_key="plan_versions.id")
    status: str = Field(max_length=20)
    claimed_by: str | None = Field(default=None, max_length=120)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str = ""
    failed_step: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

class StepResultRow(TeamScoped, table=True):
    __tablename__ = "step_results"
    __table_args__ = (
        UniqueConstraint("run_id", "step_id", name="uq_step_results"),
        UniqueConstraint("idempotency_key", name="uq_step_results_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    step_id: str = Field(max_length=40)
    action: str = Field(max_length=120)
    idempotency_key: str = Field(max_length=120)
    status: str = Field(max_length=20)
    attempts: int = 0
    args: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    result: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str = ""
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

class ChatMessageRow(TeamScoped, table=True):
    """Where Deputy posted something, so the worker can edit the plan card in place."""

    __tablename__ = "chat_messages"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goals.id", index=True)
    plan_version_id: int | None = Field(default=None, foreign_key="plan_versions.id")
    kind: str = Field(max_length=30)
    platform: str = Field(max_length=20)
    channel_id: str = Field(max_length=120)
    message_id: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

class AuditRow(SQLModel, table=True):
    """Append-only, hash-chained: each record's hash covers the previous record's hash, and
    is an HMAC under a key from the keyring, so it cannot be recomputed without the key."""

    __tablename__ = "audit_log"
    # each team's chain is read in order (its head, its verification, its export)
    __table_args__ = (Index("ix_audit_log_team_seq", "team_key", "seq"),)

    seq: int | None = Field(default=None, primary_key=True)
    # the chain the record belongs to (platform:team); None: the operator/system chain
    team_key: str | None = Field(default=None, max_length=200)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    kind: str = Field(max_length=40, index=True)
    actor_key: str | None = Field(default=None, max_length=200)
    goal_id: int | None = Field(default=None, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # the master key whose derived key made ``hash`` an HMAC; None: a plain SHA-256 record
    key_id: str | None = Field(default=None, max_length=64)


class ThreadMessageRow(TeamScoped, table=True):
    """What people said in a goal's thread after the goal, for re-planning in context."""

    __tablename__ = "thread_messages"

    __table_args__ = (
        # a platform replays a reply after a restart with the same event id: it is one reply
        UniqueConstraint("goal_id", "source_event_id", name="uq_thread_messages_event"),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goals.id", index=True)
    author: str = Field(max_length=200)
    author_key: str | None = Field(default=None, max_length=200)
    source_event_id: str | None = Field(default=None, max_length=200)
    # "" a message of the conversation; "suggested": a change someone other than the
    # requester asked for, left out of planning until accepted; "accepted"
    status: str = Field(default="", max_length=20)
    text: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
