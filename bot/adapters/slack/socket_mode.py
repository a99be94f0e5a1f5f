"""Socket Mode transport: the same bolt app, fed from Slack's WebSocket instead of HTTP.

Used when SLACK_APP_TOKEN is set (no public URL needed). The client asks
``apps.connections.open`` on the configured Web API base for the socket URL, answers each
envelope with its ``envelope_id`` right after the listener acks, and reconnects on its own.
"""

from __future__ import annotations

import asyncio

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.adapters.slack.app import SlackAdapter
from bot.errors import SettingsError


def socket_mode_handler(adapter: SlackAdapter, ping_interval: float = 10) -> AsyncSocketModeHandler:
    token = adapter.settings.app_token.get_secret_value()
    if not token:
        raise SettingsError("SLACK_APP_TOKEN: required for Socket Mode (an xapp- app-level token)")
    return AsyncSocketModeHandler(
        adapter.app, app_token=token, web_client=adapter.client, ping_interval=ping_interval
    )


async def run_socket_mode(adapter: SlackAdapter) -> None:
    """Connect and serve until cancelled; then close the socket and finish accepted work."""
    handler = socket_mode_handler(adapter)
    await handler.connect_async()
    try:
        # the client reconnects by itself; this task only has to stay alive until cancelled
        await asyncio.Event().wait()
    finally:
        await handler.close_async()
        await adapter.drain()
