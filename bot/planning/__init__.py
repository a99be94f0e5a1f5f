"""Planners turn a goal into a plan: Claude when configured, offline rules otherwise."""

from bot.planning.protocol import ActionCatalog, Planner, PlanningContext, ReplanRequest

__all__ = ["ActionCatalog", "PlanningContext", "Planner", "ReplanRequest"]
