"""The team in chat: who may speak for it, and its administrators' ``setup`` / ``admin``.

Every event passes :func:`admit` first: a team the operator disabled, or that removed
Deputy, gets a clear refusal and nothing else happens; a team with its own role map has its
members' groups read from it. ``setup`` and ``admin`` (the same command: ``/deputy setup``
on Discord, ``admin`` anywhere) show the team's status and settings and change them, for the
team's administrators only (Slack: workspace admin or owner; Discord: Manage Server).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bot.chat.events import ChatEvent, CommandInvoked
from bot.chat.replies import Notice
from bot.domain import Actor
from bot.flow import team_settings
from bot.store import audit, teams
from bot.store.teams import TeamStatus

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

REFUSED = {
    TeamStatus.DISABLED: "Deputy is turned off for this team by its operator, so I did nothing. "
                         "Ask whoever runs Deputy to turn it back on (`deputy teams enable`).",
    TeamStatus.ARCHIVED: "Deputy was removed from this team and its data is archived, so I did "
                         "nothing. Add Deputy again to use it here.",
}
NOT_ADMIN = ("Only an administrator of this team can see or change Deputy's settings here "
             "(on Discord: the Manage Server permission; on Slack: a workspace admin or owner).")
USAGE = ("Change a setting with `setup role GROUP @Role` (Discord; `none` removes it), "
         "`setup digest #channel`, `setup timezone Europe/Paris`.")


def key_of(event: ChatEvent) -> str:
    return teams.team_key(event.actor.platform, event.actor.team_id)


async def admit(app: Deputy, event: ChatEvent) -> ChatEvent | None:
    """The event as the core should see it, or None when the team may not use Deputy (the
    person was told why)."""
    actor, refusal = await admitted(app, event.actor)
    if actor is None:
        await app.port(event.where.platform).post_private(
            event.where, event.actor, Notice(refusal, tone="warning"))
        return None
    return event if actor is event.actor else dataclasses.replace(event, actor=actor)


async def admitted(app: Deputy, actor: Actor) -> tuple[Actor | None, str]:
    """The person as the core sees them in their team (groups from the team's own role map
    when it has one), or (None, why) when their team may not use Deputy. Chat and the web
    console's sign-in both ask here, so a person has the same groups in both."""
    key = teams.team_key(actor.platform, actor.team_id)
    async with app.database.session(team=key) as session:
        row = await teams.get(session, key)
    if row is None:
        return actor, ""  # a team Deputy keeps no row for: active, the deployment's defaults
    if row.status != TeamStatus.ACTIVE:
        return None, REFUSED.get(row.status, REFUSED[TeamStatus.DISABLED])
    role_groups = row.settings.get("role_groups") or {}
    if role_groups and row.platform in team_settings.ROLE_PLATFORMS:
        # the team's own map replaces the deployment's: only this guild's roles count
        return actor.model_copy(update={"groups": team_settings.groups_of(actor.roles, role_groups)}), ""
    return actor, ""


async def digest_channel(app: Deputy, actor: Actor) -> str:
    """The team's digest channel ("" when it set none)."""
    key = teams.team_key(actor.platform, actor.team_id)
    async with app.database.session(team=key) as session:
        row = await teams.get(session, key)
    return str(row.settings.get("digest_channel") or "") if row is not None else ""


async def on_team_command(app: Deputy, event: CommandInvoked) -> Notice:
    """``setup`` / ``admin``: show the team's settings, or change one."""
    if not event.actor.admin:
        return Notice(NOT_ADMIN, tone="warning")
    words = event.argument.split()
    key = key_of(event)
    async with app.database.session(team=key) as session:
        row, _ = await teams.ensure(session, key)
        if words:
            before = dict(row.settings)
            await teams.set_settings(session, row, team_settings.changed(
                row.platform, row.settings, words[0], words[1:]))
            await audit.append(session, "team_settings", actor_key=event.actor.key, team_key=key,
                               data={"team": key, "before": before, "after": row.settings})
        lines = team_settings.describe(row.platform, row.settings)
        name, status = row.name or key, row.status
    head = f"Deputy in {name} ({key}) is {status}."
    saved = "Saved. " if words else ""
    return Notice("\n".join([saved + head, *lines, USAGE]), tone="success" if words else "info")
