"""Discord for a process that receives no Discord events (``deputy worker``, ``deputy
scheduler``, ``deputy serve --platforms slack``): REST only, never a gateway connection —
Discord allows one session per bot token and shard, which the ``discord`` process holds."""

from __future__ import annotations

import logging

import aiohttp
import discord
from discord.http import Route

from .endpoints import RoutedClient
from .port import DiscordPort, RecentInteractions
from .settings import DiscordSettings

log = logging.getLogger(__name__)


class DiscordPoster:
    def __init__(self, settings: DiscordSettings) -> None:
        self._token = settings.token.get_secret_value()
        # no intents: this client never connects to the gateway
        # as the gateway client: nobody is pinged by what Deputy relays
        self.client = RoutedClient(settings, intents=discord.Intents.none(),
                                   allowed_mentions=discord.AllowedMentions.none())
        # no interactions reach this process: a private reply mentions the person instead
        self.port = DiscordPort(self.client, RecentInteractions())
        self._logged_in = False

    async def start(self) -> None:
        """Log in over REST (GET /users/@me, /oauth2/applications/@me). A failure is not
        fatal: readiness reports it and retries."""
        await self._login()

    async def _login(self) -> bool:
        try:
            await self.client.login(self._token)
        except discord.LoginFailure:
            log.error("discord: DISCORD_TOKEN was refused by Discord; posting is impossible")
            return False
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as err:
            log.warning("discord: cannot log in yet (%s)", type(err).__name__)
            return False
        self._logged_in = True
        return True

    async def ready(self) -> bool:
        """Readiness: the token still works (GET /users/@me); callers cache it."""
        if not self._logged_in:
            return await self._login()
        try:
            await self.client.http.request(Route("GET", "/users/@me"))
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as err:
            log.warning("discord: /users/@me failed (%s)", type(err).__name__)
            return False
        return True

    async def aclose(self) -> None:
        await self.client.close()
