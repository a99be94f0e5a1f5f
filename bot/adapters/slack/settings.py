"""Slack settings, under the names Slack's own tools use (SLACK_BOT_TOKEN, …).

Kept here until the lead folds them into :class:`bot.settings.Settings`. Tokens are
``SecretStr`` so a repr, a log line or a validation error never shows them.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    bot_token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "bot_token"),
        description="Bot token (xoxb-…) of the one workspace Deputy is installed in.",
    )
    signing_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "signing_secret"),
        description="Signing secret that authenticates every HTTP request from Slack.",
    )
    app_token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "app_token"),
        description="App-level token (xapp-…); when set, Deputy uses Socket Mode.",
    )
    api_url: str = Field(
        default=SLACK_API_URL,
        validation_alias=AliasChoices("DEPUTY_SLACK_API_URL", "api_url"),
        description="Base URL of Slack's Web API (tests point it at a local fake).",
    )
    post_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        validation_alias=AliasChoices("DEPUTY_SLACK_POST_INTERVAL_SECONDS", "post_interval_seconds"),
        description="Least time between two messages Deputy posts in one channel (Slack: ~1/s).",
    )
    rate_limit_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        validation_alias=AliasChoices("DEPUTY_SLACK_RATE_LIMIT_RETRIES", "rate_limit_retries"),
        description="How many times a Web API call answered 429 is retried after Retry-After.",
    )

    @property
    def configured(self) -> bool:
        return bool(self.bot_token.get_secret_value())

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token.get_secret_value())

    @property
    def base_url(self) -> str:
        # slack_sdk joins method names onto the base URL: it must end with "/"
        return self.api_url if self.api_url.endswith("/") else self.api_url + "/"
