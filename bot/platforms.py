"""Which chat platforms a process speaks to, and how.

Every process attaches a port for every platform configured in its settings: the process
that receives a platform's events (``deputy serve``, ``deputy discord``) attaches the full
adapter; every other one a post-only port (Slack's Web API, Discord's REST API), so a run
executed by ``deputy worker`` still reports in its thread and a digest still reaches its
channel. A message for a platform with no settings here is never dropped silently
(bot/core/unconfigured.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.errors import SettingsError
from bot.readiness import CachedProbe, ReadyCheck

if TYPE_CHECKING:
    from bot.core.deputy import Deputy
    from bot.settings import Settings

KNOWN = ("slack", "discord")


def configured(settings: Settings) -> list[str]:
    """Platforms whose token is set (Slack: or the distributed app's client id and secret),
    in a stable order."""
    present = {"slack": bool(settings.slack_bot_token.get_secret_value()) or bool(
                   settings.slack_client_id and settings.slack_client_secret.get_secret_value()),
               "discord": bool(settings.discord_token.get_secret_value())}
    return [name for name in KNOWN if present[name]]


def parse_platforms(value: str | None, settings: Settings) -> list[str]:
    """``--platforms slack,discord``; None means every configured platform."""
    present = configured(settings)
    if value is None:
        return present
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    for name in names:
        if name not in KNOWN:
            raise SettingsError(f"--platforms: unknown platform {name!r}; use {', '.join(KNOWN)}")
        if name not in present:
            setting = "SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)" if name == "slack" else "DISCORD_TOKEN"
            raise SettingsError(f"--platforms: {name} is not configured; set {setting}")
    return list(dict.fromkeys(names))


@dataclass
class Platforms:
    """What a process attached: readiness checks by platform, and what to close on exit."""

    checks: dict[str, ReadyCheck] = field(default_factory=dict)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def aclose(self) -> None:
        for close in reversed(self.closers):
            await close()
        self.closers.clear()


async def attach_post_only(deputy: Deputy, platforms: Platforms, *, skip: Collection[str] = ()) -> None:
    """A post-only port for each configured platform not in ``skip`` (those the process
    receives events from, with their full adapter)."""
    settings = deputy.settings
    for name in configured(settings):
        if name in skip:
            continue
        if name == "slack":
            # lazy: a platform's SDK is loaded only when it is configured (start-up speed)
            from bot.adapters.slack.post_only import SlackPoster
            from bot.adapters.slack.settings import SlackSettings

            slack = SlackPoster(SlackSettings.from_settings(settings), deputy)
            deputy.attach(slack.port)
            platforms.checks["slack"] = slack.ready
            platforms.closers.append(slack.aclose)
        else:
            # lazy: a platform's SDK is loaded only when it is configured (start-up speed)
            from bot.adapters.discord.post_only import DiscordPoster
            from bot.adapters.discord.settings import DiscordSettings

            discord = DiscordPoster(DiscordSettings.from_settings(settings))
            platforms.closers.append(discord.aclose)
            await discord.start()
            deputy.attach(discord.port)
            platforms.checks["discord"] = CachedProbe(discord.ready)
