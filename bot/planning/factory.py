"""Picks the planner from settings: DEPUTY_PLANNER names the backend; unset, Claude when
ANTHROPIC_API_KEY is set and the offline rules otherwise. Every model backend has the rules
behind it (:class:`~bot.planning.fallback.FallbackPlanner`)."""

from __future__ import annotations

from bot.planning.protocol import Planner
from bot.registry import Registry
from bot.settings import Settings


def backend_name(settings: Settings) -> str:
    return settings.planner_backend


def planner_for(settings: Settings, registry: Registry) -> Planner:
    from bot.planning.rules import RulePlanner

    backend = backend_name(settings)
    if backend == "rules":
        return RulePlanner()
    # imported here: the model SDKs are slow to import and the embedded default needs none
    from bot.planning.fallback import FallbackPlanner
    from bot.planning.model_planner import ModelPlanner

    model: ModelPlanner
    if backend == "openai-compatible":
        from bot.planning.openai_compat import build_openai_planner

        model = build_openai_planner(settings, registry)
    elif backend in ("bedrock", "vertex"):
        from bot.planning.claude_cloud import build_cloud_planner

        model = build_cloud_planner(settings, registry, backend)
    else:
        from bot.planning.claude import build_claude_planner

        model = build_claude_planner(settings, registry)
    return FallbackPlanner(model, RulePlanner())
