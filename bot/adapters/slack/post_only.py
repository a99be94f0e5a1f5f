"""Slack for a process that receives no Slack events (``deputy worker``, ``deputy
scheduler``, ``deputy discord``): the Web API alone — no Socket Mode, no HTTP listener —
so run progress, results, digests and reminders reach their threads from any process."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.port import ChannelLimiter, SlackPort, ThreadBook, error_code, make_client
from bot.adapters.slack.settings import SlackSettings
from bot.readiness import CachedProbe

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)


async def _nothing_to_test() -> bool:
    return True


def auth_probe(client: AsyncWebClient) -> CachedProbe:
    """Readiness: a real ``auth.test`` with the bot token (cached, see bot/readiness.py)."""

    async def probe() -> bool:
        try:
            await client.auth_test()
        except SlackApiError as err:
            log.warning("slack: auth.test failed: %s", error_code(err))
            return False
        except (aiohttp.ClientError, TimeoutError) as err:
            log.warning("slack: auth.test failed: %s", type(err).__name__)
            return False
        return True

    return CachedProbe(probe)


class SlackPoster:
    def __init__(self, settings: SlackSettings, deputy: Deputy | None = None) -> None:
        # built inside the running loop (aiohttp sessions belong to one)
        self._session = aiohttp.ClientSession()
        self.client = make_client(settings, self._session)
        clients = None
        if settings.distributed and deputy is not None:
            # lazy: only the distributed app needs the stores
            from bot.adapters.slack.distribution import build_distribution

            clients = build_distribution(settings, deputy.database, deputy.vault, self._session).workspaces
        self.port = SlackPort(self.client, ChannelLimiter(settings.post_interval_seconds, settings.post_burst),
                              ThreadBook(), clients)
        # distributed: no token of its own to test; each workspace's is used when posting
        self.ready = auth_probe(self.client) if clients is None else CachedProbe(_nothing_to_test)

    async def aclose(self) -> None:
        await self._session.close()
