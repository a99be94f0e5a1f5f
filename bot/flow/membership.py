"""Whose clicks and edits a goal accepts: people of the goal's own team, in its channel.

A Slack Connect channel is shared between workspaces, so a correctly signed click can come
from a person of another workspace; a Discord message can be reached from another guild.
The platform proves who clicked, not that they belong to the team whose policy and
credentials the goal uses: that is checked here, before anything is recorded.
"""

from __future__ import annotations

from bot.domain import Actor, Where
from bot.policy.request_facts import team_of_key
from bot.store.tables import GoalRow


def goal_team(goal: GoalRow) -> str:
    """The goal's team id (Slack workspace, Discord guild, ``local`` in the shell)."""
    return goal.team_id or team_of_key(goal.requester_key).partition(":")[2]


def outsider_reason(goal: GoalRow, actor: Actor, where: Where | None = None) -> str | None:
    """Why ``actor`` may not act on ``goal`` from ``where`` (said to them privately), or None."""
    if actor.platform != goal.platform or actor.team_id != goal_team(goal):
        return ("This goal belongs to another team, so only its own members can approve, change "
                "or answer it. Nothing was changed.")
    if where is not None and where.channel_id != goal.channel_id:
        return ("This goal lives in another channel; act on it there. Nothing was changed.")
    return None
