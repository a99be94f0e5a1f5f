"""Slack users → Deputy actors, with names and time zones from users.info fetched once."""

from __future__ import annotations

import asyncio
import logging
import math
from collections import OrderedDict
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.port import Clients, error_code
from bot.domain import Actor

log = logging.getLogger(__name__)
PLATFORM = "slack"


# Slack user groups (their handles, e.g. "finance") are re-read at most this often
GROUPS_TTL_SECONDS = 300.0


class ActorDirectory:
    """``clients`` gives the client of the workspace a request came for (one workspace: the
    same client always); user groups are kept per workspace."""

    def __init__(self, clients: Clients, default_timezone: str = "UTC", size: int = 5000, *,
                 fresh_seconds: float = 0.0) -> None:
        self._clients = clients
        # :meth:`current`'s groups: one read of the workspace's at most this old
        self._fresh_seconds = fresh_seconds
        self._groups: dict[str, dict[str, frozenset[str]]] = {}  # workspace → handle → user ids
        self._groups_read_at: dict[str, float] = {}
        self._groups_lock = asyncio.Lock()
        self._default_tz = default_timezone
        self._size = size
        self._known: OrderedDict[tuple[str, str], Actor] = OrderedDict()
        # a burst of clicks by one person shares one users.info call
        self._pending: dict[tuple[str, str], asyncio.Future[Actor]] = {}

    async def actor(self, team_id: str, user_id: str, host: tuple[str, str | None] | None = None) -> Actor:
        """The person, with the Slack user groups they are in now (for policy groups).
        ``host``: the workspace (and org) the request came for, whose token reads them."""
        host = host or (team_id, None)
        client = await self._clients.client_for_team(*host)
        person = await self._person(client, team_id, user_id)
        groups = await self._groups_of(client, host[0], user_id)
        return person.model_copy(update={"groups": groups}) if groups else person

    async def current(self, team_id: str, user_id: str, host: tuple[str, str | None] | None = None) -> Actor | None:
        """The person now, for a decision made away from chat (the web console): users.info read
        at this moment, and the workspace's user groups from a read at most ``fresh_seconds``
        old (one read serves every person of the workspace meanwhile: usergroups.list is Tier 2,
        about 20 calls a minute, and each console page asks); None when Slack no longer knows
        them there (deactivated, or not found). SlackApiError otherwise."""
        host = host or (team_id, None)
        client = await self._clients.client_for_team(*host)
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as err:
            if error_code(err) in ("user_not_found", "account_inactive"):
                return None
            raise
        if user.get("deleted"):
            return None
        # Enterprise Grid: users.info answers for anyone in the org; someone taken out of
        # this workspace but still in the org no longer counts in it
        teams = (user.get("enterprise_user") or {}).get("teams")
        if isinstance(teams, list) and team_id not in teams:
            return None
        person = self._remember(team_id, user_id, user)  # the name kept for chat refreshed too
        groups = await self._groups_of(client, host[0], user_id, max_age=self._fresh_seconds)
        return person.model_copy(update={"groups": groups})

    async def _groups_of(self, client: AsyncWebClient, host: str, user_id: str, *,
                         max_age: float | None = None) -> frozenset[str]:
        """``max_age``: from a read at most that old, else read now, raising SlackApiError if
        Slack does not answer; None: chat's, read every ``GROUPS_TTL_SECONDS``, keeping what
        was known when a read fails."""
        loop = asyncio.get_running_loop()
        limit = GROUPS_TTL_SECONDS if max_age is None else max_age
        async with self._groups_lock:
            now = loop.time()
            if now - self._groups_read_at.get(host, -math.inf) >= limit:
                try:
                    # team_id: required with an org-wide install's token (Enterprise Grid),
                    # ignored with a workspace's own (docs.slack.dev usergroups.list)
                    response = await client.usergroups_list(include_users=True, team_id=host)
                except SlackApiError as err:
                    # keep what we knew; approvals needing a group wait for the next read
                    log.warning("usergroups.list failed: %s", error_code(err))
                    if max_age is not None:
                        raise  # nothing is decided on groups older than asked
                    self._groups_read_at[host] = now  # chat tries again after the TTL
                else:
                    self._groups_read_at[host] = now
                    self._groups[host] = {
                        str(g.get("handle")): frozenset(str(u) for u in g.get("users") or [])
                        for g in response.get("usergroups") or [] if g.get("handle")}
        known = self._groups.get(host, {})
        return frozenset(handle for handle, users in known.items() if user_id in users)

    async def _person(self, client: AsyncWebClient, team_id: str, user_id: str) -> Actor:
        key = (team_id, user_id)
        known = self._known.get(key)
        if known is not None:
            self._known.move_to_end(key)
            return known
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Actor] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            actor = await self._fetch(client, team_id, user_id)
            future.set_result(actor)
            return actor
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as err:
            future.set_exception(err)
            future.exception()  # mark retrieved: waiters (if any) re-raise it themselves
            raise
        finally:
            del self._pending[key]

    async def _fetch(self, client: AsyncWebClient, team_id: str, user_id: str) -> Actor:
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as err:
            # not cached: the next event tries again; the person still gets an answer now
            log.warning("users.info failed for %s: %s", user_id, error_code(err))
            return Actor(platform=PLATFORM, team_id=team_id, user_id=user_id, timezone=self._default_tz)
        return self._remember(team_id, user_id, response.get("user") or {})

    def _remember(self, team_id: str, user_id: str, user: dict[str, Any]) -> Actor:
        """users.info's user as an actor, kept for the next requests."""
        key = (team_id, user_id)
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name") or ""
        actor = Actor(
            platform=PLATFORM, team_id=team_id, user_id=user_id,
            display_name=str(name), timezone=self._timezone(user.get("tz")),
            # workspace admins and owners administer Deputy for the team (setup, admin)
            admin=bool(user.get("is_admin") or user.get("is_owner")),
        )
        self._known[key] = actor
        if len(self._known) > self._size:
            self._known.popitem(last=False)
        return actor

    def _timezone(self, tz: object) -> str:
        if not isinstance(tz, str) or not tz:
            return self._default_tz
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            return self._default_tz
        return tz
