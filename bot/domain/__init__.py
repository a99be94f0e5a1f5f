"""Plain typed records shared by every part of the core."""

from bot.domain.models import (
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
)

__all__ = [
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
]
