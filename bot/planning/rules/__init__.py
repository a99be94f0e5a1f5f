"""The offline rule planner (``RulePlanner``): deterministic plans for goals written in
everyday English, over the ``local`` integration and the requester's connected accounts."""

from bot.planning.rules.planner import CAPABILITIES, RulePlanner

__all__ = ["CAPABILITIES", "RulePlanner"]
