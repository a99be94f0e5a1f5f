"""Where one discord.py client sends its requests: Discord's addresses, or a fake Discord's.

discord.py has no per-client setting for them: every URL starts from a class attribute
(``Route.BASE`` for REST calls, interaction responses and webhooks;
``DiscordWebSocket.DEFAULT_GATEWAY`` for the gateway), so setting those would aim every client
of the process at one place. Instead each client gets its own aiohttp connector
(``discord.Client(connector=…)`` is discord.py's public way in), and the connector points a
request for Discord's addresses at the configured ones before it picks a connection: all of
that client's traffic passes through it, and no other client's. With Discord's own addresses
configured (production) it changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl
from aiohttp import hdrs
from discord.gateway import DiscordWebSocket
from discord.http import Route

if TYPE_CHECKING:
    from aiohttp.client_reqrep import ClientRequest
    from aiohttp.connector import Connection

    from .settings import DiscordSettings


class Endpoints(aiohttp.TCPConnector):
    """A connector (no connection limit, as discord.py's own) that moves Discord's URLs."""

    def __init__(self, api_url: str, gateway_url: str) -> None:
        super().__init__(limit=0)
        self.api_url = api_url.rstrip("/")
        self.gateway_url = yarl.URL(gateway_url)

    def moved(self, url: yarl.URL) -> yarl.URL:
        """``url`` with Discord's API or gateway address replaced by the configured one."""
        text = str(url)
        if text.startswith(Route.BASE + "/"):
            return yarl.URL(self.api_url + text[len(Route.BASE):], encoded=True)
        if url.origin() == DiscordWebSocket.DEFAULT_GATEWAY.origin():
            return self.gateway_url.with_query(url.query)
        return url

    async def connect(self, req: ClientRequest, traces: Any, timeout: Any) -> Connection:  # noqa: ASYNC109 - aiohttp's signature
        moved = self.moved(req.url)
        if moved != req.url:
            # aiohttp derives the host, port and TLS of the connection from req.url
            req.url = moved
            req.headers[hdrs.HOST] = moved.raw_authority
        return await super().connect(req, traces, timeout)


class RoutedClient(discord.Client):
    """A discord.py client whose requests go to ``settings``' addresses (see the module)."""

    def __init__(self, settings: DiscordSettings, **options: Any) -> None:
        super().__init__(**options)
        self.endpoints = (settings.discord_api_url, settings.discord_gateway_url)

    async def login(self, token: str) -> None:
        # the connector needs a running loop, so it is made here, before discord.py opens
        # its HTTP session with it (a client logs in once)
        self.http.connector = Endpoints(*self.endpoints)
        await super().login(token)
