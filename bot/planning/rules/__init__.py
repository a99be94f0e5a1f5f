"""The offline rule planner (``RulePlanner``): deterministic plans over the ``local``
integration for goals written in everyday English."""

from bot.planning.rules.planner import CAPABILITIES, RulePlanner

__all__ = ["CAPABILITIES", "RulePlanner"]
