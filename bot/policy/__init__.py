"""The sandbox contract: load policy files, evaluate each step, explain every decision."""

from bot.errors import PolicyError
from bot.policy.evaluate import evaluate_plan, evaluate_step
from bot.policy.explain import check_files, explain, explain_command
from bot.policy.model import Decision, Policy, Verdict, load_policy, parse_policy
from bot.policy.request_facts import RequestFacts
from bot.policy.requirement import Need, PlanRequirement, plan_requirement

__all__ = [
    "Decision",
    "Need",
    "PlanRequirement",
    "Policy",
    "PolicyError",
    "RequestFacts",
    "Verdict",
    "check_files",
    "evaluate_plan",
    "evaluate_step",
    "explain",
    "explain_command",
    "load_policy",
    "parse_policy",
    "plan_requirement",
]
