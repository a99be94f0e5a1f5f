"""Picks the planner from settings: Claude when ANTHROPIC_API_KEY is set, rules otherwise."""

from __future__ import annotations

import os

from bot.planning.protocol import Planner
from bot.registry import Registry
from bot.settings import Settings


def planner_for(settings: Settings, registry: Registry) -> Planner:
    if os.environ.get("ANTHROPIC_API_KEY"):
        # imported here: the anthropic SDK is slow to import and the embedded default needs none
        from bot.planning.claude import build_claude_planner

        return build_claude_planner(settings, registry)
    from bot.planning.rules import RulePlanner

    return RulePlanner()
