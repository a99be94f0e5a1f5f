"""Slack for a process that receives no Slack events (``deputy worker``, ``deputy
scheduler``, ``deputy discord``): the Web API alone — no Socket Mode, no HTTP listener —
so run progress, results, digests and reminders reach their threads from any process."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.port import ChannelLimiter, SlackPort, ThreadBook, error_code, make_client
from bot.adapters.slack.settings import SlackSettings
from bot.readiness import CachedProbe

log = logging.getLogger(__name__)


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
    def __init__(self, settings: SlackSettings) -> None:
        # built inside the running loop (aiohttp sessions belong to one)
        self._session = aiohttp.ClientSession()
        self.client = make_client(settings, self._session)
        self.port = SlackPort(self.client, ChannelLimiter(settings.post_interval_seconds, settings.post_burst), ThreadBook())
        self.ready = auth_probe(self.client)

    async def aclose(self) -> None:
        await self._session.close()
