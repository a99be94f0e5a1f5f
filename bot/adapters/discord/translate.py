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
    """The member as the core's Actor: groups from ``role_groups`` (the deployment's default
    map; a guild with its own map in its team settings has it applied by the core to
    ``roles``), and ``admin`` when the member may manage the server."""
    roles = frozenset(str(role.id) for role in user.roles) if isinstance(user, discord.Member) else frozenset()
    return Actor(
        platform=PLATFORM,
        team_id=str(guild_id),
        user_id=str(user.id),
        display_name=user.display_name,
        groups=member_groups(user, role_groups),
        roles=roles,
        admin=manages_server(user),
    )


def manages_server(user: discord.User | discord.Member) -> bool:
    """Manage Server (or Administrator): from the permissions an interaction carries, else
    from the member's roles in the cached guild (the owner has every permission)."""
    if not isinstance(user, discord.Member):
        return False
    permissions = user.resolved_permissions or user.guild_permissions
    return permissions.manage_guild or permissions.administrator


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
