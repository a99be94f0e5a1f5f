"""The Discord adapter's view of the settings: read once by :class:`bot.settings.Settings`
(DISCORD_TOKEN, DEPUTY_DISCORD_…), handed to the adapter as this small record.

The URLs exist so the real discord.py client can be pointed at a fake Discord in tests;
production leaves them at Discord's own addresses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, SecretStr

if TYPE_CHECKING:
    from bot.settings import Settings

DISCORD_API_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"


class DiscordSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    token: SecretStr = SecretStr("")
    discord_api_url: str = DISCORD_API_URL
    discord_gateway_url: str = DISCORD_GATEWAY_URL
    discord_role_groups: dict[str, str] = Field(default_factory=dict)
    discord_sync_commands: bool = True
    # "Sign in with Discord" to the web console (bot/adapters/discord/console_signin.py)
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    authorize_url: str = "https://discord.com/oauth2/authorize"

    @classmethod
    def from_settings(cls, settings: Settings) -> DiscordSettings:
        return cls(token=settings.discord_token, discord_api_url=settings.discord_api_url,
                   discord_gateway_url=settings.discord_gateway_url,
                   discord_role_groups=settings.discord_role_groups,
                   discord_sync_commands=settings.discord_sync_commands,
                   client_id=settings.discord_client_id, client_secret=settings.discord_client_secret,
                   authorize_url=settings.discord_authorize_url)

    @property
    def configured(self) -> bool:
        return bool(self.token.get_secret_value())

    @property
    def signs_in(self) -> bool:
        """'Sign in with Discord' is offered: the bot (to know its guilds) and the OAuth2 client."""
        return self.configured and bool(self.client_id and self.client_secret.get_secret_value())
