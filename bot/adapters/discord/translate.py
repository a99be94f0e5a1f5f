"""Discord's people and places as the core's: a member becomes an Actor, a channel or
thread a Where."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.domain import Actor, Where

from .port import PLATFORM
from .roles import groups_for_roles


def actor_of(user: discord.User | discord.Member, guild_id: int, role_groups: Mapping[str, str]) -> Actor:
    # model_validate, not Actor(...): ``groups`` is dropped by pydantic until the core's
    # Actor declares it (docs/discord.md); then policy sees the member's Discord roles
    return Actor.model_validate(
        {
            "platform": PLATFORM,
            "team_id": str(guild_id),
            "user_id": str(user.id),
            "display_name": user.display_name,
            "groups": member_groups(user, role_groups),
        }
    )


def member_groups(user: discord.User | discord.Member, role_groups: Mapping[str, str]) -> frozenset[str]:
    """The policy groups of a guild member, from its roles (a plain user has none)."""
    role_ids = [role.id for role in user.roles] if isinstance(user, discord.Member) else []
    return groups_for_roles(role_ids, role_groups)


def where_of(channel: Any) -> Where:
    if isinstance(channel, discord.Thread):
        return Where(
            platform=PLATFORM, channel_id=str(channel.parent_id), thread_id=str(channel.id)
        )
    return Where(platform=PLATFORM, channel_id=str(channel.id))
