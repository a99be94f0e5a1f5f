"""Plain typed records shared by every part of the core."""

from bot.domain.models import (
    LOCAL_TEAM,
    Actor,
    ApprovalDecision,
    CannotPlan,
    Clarification,
    Effect,
    GoalStatus,
    PlanDraft,
    PlanningOutcome,
    PlanStatus,
    Ref,
    RunStatus,
    Step,
    StepStatus,
    Where,
    team_key_of,
)

__all__ = [
    "LOCAL_TEAM",
    "Actor",
    "ApprovalDecision",
    "CannotPlan",
    "Clarification",
    "Effect",
    "GoalStatus",
    "PlanDraft",
    "PlanStatus",
    "PlanningOutcome",
    "Ref",
    "RunStatus",
    "Step",
    "StepStatus",
    "Where",
    "team_key_of",
]
