"""The sandbox contract: load policy files, evaluate each step, explain every decision."""

from bot.policy.evaluate import Decision, PlanRequirement, evaluate_step, plan_requirement
from bot.policy.model import Policy, PolicyError, Verdict, load_policy

__all__ = [
    "Decision",
    "PlanRequirement",
    "Policy",
    "PolicyError",
    "Verdict",
    "evaluate_step",
    "load_policy",
    "plan_requirement",
]
