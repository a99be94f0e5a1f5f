"""The Slack adapter's view of the settings: read once by :class:`bot.settings.Settings`
(under Slack's usual names, SLACK_BOT_TOKEN …), handed to the adapter as this small record.
Tokens are ``SecretStr`` so a repr, a log line or a validation error never shows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, SecretStr

if TYPE_CHECKING:
    from bot.settings import Settings

SLACK_API_URL = "https://slack.com/api/"
# where Slack sends commands, events and interactions over HTTP (bot/adapters/slack/http.py)
EVENTS_PATH = "/slack/events"


class SlackSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    bot_token: SecretStr = SecretStr("")
    signing_secret: SecretStr = SecretStr("")
    app_token: SecretStr = SecretStr("")
    api_url: str = SLACK_API_URL
    post_interval_seconds: float = Field(1.0, ge=0)
    post_burst: int = Field(3, ge=1, le=20)
    rate_limit_retries: int = Field(3, ge=0, le=10)
    # the console's "who is this person now" (lists and decisions) shares one read of the
    # workspace's user groups this long: usergroups.list is Slack's Tier 2 (~20 a minute)
    groups_fresh_seconds: float = Field(10.0, ge=0, le=300)
    # the distributed app ("Add to Slack"): many workspaces, each installed through OAuth v2
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    authorize_url: str = "https://slack.com/oauth/v2/authorize"
    # "Sign in with Slack" (OpenID Connect) to the web console
    openid_url: str = "https://slack.com/openid/connect/authorize"
    public_url: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackSettings:
        return cls(bot_token=settings.slack_bot_token, signing_secret=settings.slack_signing_secret,
                   app_token=settings.slack_app_token, api_url=settings.slack_api_url,
                   post_interval_seconds=settings.slack_post_interval_seconds,
                   post_burst=settings.slack_post_burst,
                   rate_limit_retries=settings.slack_rate_limit_retries,
                   groups_fresh_seconds=settings.slack_groups_fresh_seconds,
                   client_id=settings.slack_client_id, client_secret=settings.slack_client_secret,
                   authorize_url=settings.slack_authorize_url, openid_url=settings.slack_openid_url,
                   public_url=settings.public_url)

    @property
    def configured(self) -> bool:
        return bool(self.bot_token.get_secret_value()) or self.distributed

    @property
    def distributed(self) -> bool:
        """Installed in many workspaces through "Add to Slack" (client id and secret set, no
        bot token of its own: with one, the app is that token's workspace's)."""
        return self.signs_in and not self.bot_token.get_secret_value()

    @property
    def signs_in(self) -> bool:
        """The app's client id and secret are known: "Sign in with Slack" on the web console."""
        return bool(self.client_id and self.client_secret.get_secret_value())

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token.get_secret_value())

    @property
    def base_url(self) -> str:
        # slack_sdk joins method names onto the base URL: it must end with "/"
        return self.api_url if self.api_url.endswith("/") else self.api_url + "/"
