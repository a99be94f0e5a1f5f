"""Discord settings, read from the environment until the lead folds them into bot.settings.

The URLs exist so the real discord.py client can be pointed at a fake Discord in tests;
production leaves them at Discord's own addresses.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DISCORD_API_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"


class DiscordSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPUTY_", extra="ignore", populate_by_name=True)

    # Discord's own tooling calls it DISCORD_TOKEN; the DEPUTY_ spelling works too
    token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("DISCORD_TOKEN", "DEPUTY_DISCORD_TOKEN"),
        description="The bot token from the Discord developer portal.",
    )
    discord_api_url: str = Field(
        default=DISCORD_API_URL, description="REST base, including /api/v10."
    )
    discord_gateway_url: str = Field(default=DISCORD_GATEWAY_URL, description="First gateway URL.")
    discord_role_groups: dict[str, str] = Field(
        default_factory=dict,
        description='Policy group → Discord role id, as JSON: {"finance": "1234"}.',
    )
    discord_sync_commands: bool = Field(
        default=True, description="Register the /deputy command with Discord at start-up."
    )

    @field_validator("discord_api_url", "discord_gateway_url")
    @classmethod
    def _is_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError("must be an http(s):// or ws(s):// URL")
        return value

    @field_validator("discord_role_groups")
    @classmethod
    def _role_ids_are_snowflakes(cls, value: dict[str, str]) -> dict[str, str]:
        for group, role_id in value.items():
            if not str(role_id).isdigit():
                raise ValueError(f"role id for group {group!r} must be digits")
        return {group: str(role_id) for group, role_id in value.items()}

    @property
    def configured(self) -> bool:
        return bool(self.token.get_secret_value())
