"""The Slack and Discord fixtures of the adapter tests, for the fuzzers."""

from __future__ import annotations

from tests.adapters.discord.conftest import discord_bot, fake
from tests.adapters.slack.conftest import adapter, recorder, server, slack_api

__all__ = ["adapter", "discord_bot", "fake", "recorder", "server", "slack_api"]
