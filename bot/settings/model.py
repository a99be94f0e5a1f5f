"""The settings class: every setting, its default, its description and its checks.

Every setting has a default that serves the embedded case (SQLite, offline planner, shell);
this class is the only place a default is written (code reads ``settings.x``, never a
fallback of its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.integration_settings import KnownKeysToml


def also_named(default: Any, *names: str, description: str) -> Any:
    """A setting read under the names the platform's own tools use (``SLACK_BOT_TOKEN``), or
    under its field name in ``deputy.toml`` and in arguments (the first name, lower-cased)."""
    return Field(default, validation_alias=AliasChoices(*names, names[0].lower()), description=description)


# the master key file in DEPUTY_HOME (bot.vault.keyfile reads and writes it); named here, below
# the vault, so that `deputy shell` can tell an existing home without importing the vault
KEY_FILE_NAME = "master.keys"


def shown_url(url: str) -> str:
    """A database URL with its password replaced by ``***``, to show a person; no SQLAlchemy
    (the shell's banner comes before the store is imported)."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.partition(':')[0]}:***@{host}{slash}{path}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DEPUTY_",
        populate_by_name=True,
        # an integration's own settings (bot/integration_settings.py) may be given here too;
        # load_settings refuses names that neither Deputy nor an installed integration declares
        extra="allow",
        toml_file="deputy.toml",
        validate_default=True,
    )

    home: Path = Field(Path(".deputy"), description="Folder for the SQLite file and the master key.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means SQLite in DEPUTY_HOME. PostgreSQL: postgresql://…"
    )
    master_key: SecretStr | None = Field(
        None, description="Master keys 'id:base64,…' (first is active); empty: a 0600 key file in DEPUTY_HOME.")
    policy_file: Path = Field(Path(""), description="Policy YAML; empty means policies/default.yaml.")
    team_policy_dir: Path = Field(
        Path(""), description="Per-team policy files <platform>-<team id>.yaml; empty: teams/ beside the policy file.")
    integrations: list[str] = Field(
        default_factory=lambda: ["local"], description="Integrations to load, by folder name."
    )
    integration_paths: list[Path] = Field(
        default_factory=list, description="Extra folders holding third-party integration folders.")
    timezone: str = Field("UTC", description="Time zone for people whose platform gives none.")
    parallel_steps: int = Field(
        8, ge=1, le=64, description="Steps of one run in flight at once (those that do not depend on "
                                    "each other); 1 runs steps and for-each items one by one.")
    card_edit_seconds: float = Field(
        1.0, ge=0, description="While a run progresses its plan card is edited at most once per this "
                               "many seconds (the final state is always posted).")
    step_attempts: int = Field(4, ge=1, le=20, description="Tries per step on transient errors.")
    max_replans: int = Field(
        3, ge=0, le=20, description="Re-plans after failures per goal before a person is asked instead.")
    retry_base_seconds: float = Field(0.5, ge=0, description="First retry delay; doubles each try.")
    retry_max_seconds: float = Field(30.0, ge=0, description="Longest wait between two tries.")
    step_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one integration call.")
    run_lease_seconds: float = Field(
        30.0, gt=0, description="A worker that stops renewing its claim for this long is presumed dead."
    )
    worker_poll_seconds: float = Field(1.0, gt=0, description="How often an idle worker looks for runs.")
    inbox_lease_seconds: float = Field(
        30.0, gt=0, description="A planner that stops renewing its claim on a queued Slack request for "
                                "this long is presumed dead: another planner takes the request again.")
    inbox_failed_retention_days: float = Field(
        14.0, gt=0, description="Queued Slack requests given up (failed after 3 attempts) are kept this "
                                "many days for `deputy planner failed`, then deleted by the planner.")
    inbox_commit_before_ack: bool = Field(
        False, description="`web` (`deputy serve --no-plan`) answers Slack only once the request's inbox row "
                           "is committed (group commit), so a `web` killed after an ack loses nothing; off: it "
                           "acks first and commits a few ms after.")
    planner_pool_size: int = Field(24, ge=4, le=200, description="PostgreSQL connections of a `planner` "
                                   "process, no overflow (16 requests in flight, LISTEN, the inbox's own).")
    planner_pool_timeout_seconds: float = Field(15.0, gt=0, description="The planner's wait for a free "
                                                "connection; then the request goes back to the inbox.")
    background_nice: int = Field(10, ge=0, le=19, description="Niceness `planner` and `worker` lower themselves "
                                 "to at start, so a shared machine runs `web`'s acks first; 0 keeps theirs.")
    approval_expiry_hours: float = Field(24.0, gt=0, description="A plan waiting for approval is rejected after this long.")
    undo_window_hours: float = Field(24.0, ge=0, description="How long a finished run offers Undo.")
    queued_run_timeout_minutes: float = Field(60.0, gt=0, description="A run no worker starts within this fails without running.")
    sweep_every_polls: int = Field(30, ge=1, description="Idle worker polls between expiry and escalation sweeps.")
    scheduler_sync_seconds: float = Field(5.0, gt=0, description="How often the active scheduler applies monitor changes.")
    scheduler_standby_retry_seconds: float = Field(3.0, gt=0, description="How often a standby scheduler tries to take the lead.")
    scheduler_misfire_grace_seconds: int = Field(86400, ge=60, description="A firing later than this after downtime is skipped.")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as text, or JSON (one object a line) for log pipelines.")
    planner: Literal["", "rules", "anthropic", "bedrock", "vertex", "openai-compatible"] = Field(
        "", description="Planner backend; empty: anthropic when ANTHROPIC_API_KEY is set, else rules.")
    planner_model: str = Field(
        "", description="Model for the planner backend (e.g. llama3.1:8b); empty: DEPUTY_ANTHROPIC_MODEL.")
    planner_base_url: str = Field("", description="Base URL of the planner's API (an Ollama or vLLM server).")
    planner_api_key: SecretStr | None = Field(
        None, description="Key for DEPUTY_PLANNER_BASE_URL; optional for local servers.")
    planner_timeout_seconds: float = Field(
        120.0, gt=0, description="Timeout of one openai-compatible planning call (local models are slow).")
    anthropic_api_key: SecretStr | None = also_named(
        None, "ANTHROPIC_API_KEY",
        description="Anthropic API key; set (and DEPUTY_PLANNER empty) means the Claude planner.")
    anthropic_model: str = Field("claude-sonnet-5-5", description="Claude model id for planning.")
    anthropic_max_tokens: int = Field(4096, ge=256, le=128000, description="Output token limit of one planning call.")
    anthropic_timeout_seconds: float = Field(60.0, gt=0, description="Timeout of one Anthropic HTTP attempt.")
    anthropic_max_retries: int = Field(3, ge=0, le=10, description="Retries on 429/5xx/529, honouring retry-after.")
    anthropic_tool_choice: Literal["auto", "any"] = Field(
        "auto", description="'any' forces a tool call; Sonnet 5.5 models reject that.")
    public_url: str = Field("", description="Public base URL of `deputy serve` (OAuth callbacks).")
    # Slack and Discord, under the names the platforms' own tools use
    slack_bot_token: SecretStr = also_named(
        SecretStr(""), "SLACK_BOT_TOKEN",
        description="Slack bot token (xoxb-…).")
    slack_signing_secret: SecretStr = also_named(
        SecretStr(""), "SLACK_SIGNING_SECRET",
        description="Verifies every HTTP request from Slack.")
    slack_app_token: SecretStr = also_named(
        SecretStr(""), "SLACK_APP_TOKEN",
        description="Slack app-level token (xapp-…); set means Socket Mode.")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    # "Add to Slack": set both and Deputy serves many workspaces (installed at /slack/install)
    slack_client_id: str = also_named(
        "", "SLACK_CLIENT_ID",
        description="Slack app's client id: with the secret, the distributed app (many workspaces).")
    slack_client_secret: SecretStr = also_named(
        SecretStr(""), "SLACK_CLIENT_SECRET",
        description="Slack app's client secret (the OAuth install flow and token rotation).")
    slack_authorize_url: str = Field(
        "https://slack.com/oauth/v2/authorize", description="Where /slack/install sends the browser.")
    slack_openid_url: str = Field(
        "https://slack.com/openid/connect/authorize",
        description="Where the web console's 'Sign in with Slack' sends the browser (OpenID Connect).")
    slack_post_interval_seconds: float = Field(
        1.0, ge=0, description="Pace of Deputy's messages in one Slack channel, beyond a short burst: "
                               "one per this many seconds.")
    slack_post_burst: int = Field(
        3, ge=1, le=20, description="Messages Deputy posts at once in a quiet Slack channel before the pace applies.")
    slack_rate_limit_retries: int = Field(3, ge=0, le=10, description="Retries of a Slack call answered 429.")
    slack_groups_fresh_seconds: float = Field(10.0, ge=0, le=300, description=(
        "Web console: how old a read of a workspace's Slack user groups its lists and decisions may use."))
    discord_token: SecretStr = also_named(
        SecretStr(""), "DISCORD_TOKEN", "DEPUTY_DISCORD_TOKEN",
        description="Discord bot token.")
    discord_api_url: str = Field("https://discord.com/api/v10", description="Discord REST base, with /api/v10.")
    discord_gateway_url: str = Field("wss://gateway.discord.gg/", description="First Discord gateway URL.")
    discord_role_groups: dict[str, str] = Field(
        default_factory=dict, description='Policy group → Discord role id, as JSON: {"finance": "1234"}.')
    discord_sync_commands: bool = Field(True, description="Register the /deputy command at start-up.")
    # "Sign in with Discord" to the web console: the application's OAuth2 client
    discord_client_id: str = also_named(
        "", "DISCORD_CLIENT_ID",
        description="Discord application's client id: with the secret, 'Sign in with Discord' on the web console.")
    discord_client_secret: SecretStr = also_named(
        SecretStr(""), "DISCORD_CLIENT_SECRET",
        description="Discord application's OAuth2 client secret (the console's sign-in).")
    discord_authorize_url: str = Field(
        "https://discord.com/oauth2/authorize", description="Where 'Sign in with Discord' sends the browser.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # environment beats deputy.toml; explicit arguments (tests) beat both
        return (init_settings, env_settings, KnownKeysToml(settings_cls))

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value

    @field_validator("planner_base_url")
    @classmethod
    def _empty_or_http(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s):// URL, e.g. http://127.0.0.1:11434/v1 for Ollama")
        return value

    @field_validator("discord_api_url", "discord_gateway_url", "slack_api_url", "slack_authorize_url",
                     "slack_openid_url", "discord_authorize_url")
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
                raise ValueError(f"role id for group {group!r} must be digits (a role id, not its name)")
        return {group: str(role_id) for group, role_id in value.items()}

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        options = {part.split("=")[0] for part in value.partition("?")[2].split("&") if part}
        if value.startswith("postgres") and options - {"sslmode", "ssl", "prepared_statement_cache_size"}:
            raise ValueError(f"unsupported option {sorted(options)[0]!r} after '?': Deputy's PostgreSQL "
                             "driver (asyncpg) takes sslmode (or ssl) and prepared_statement_cache_size")
        return value

    @model_validator(mode="after")
    def _planner_needs_a_model(self) -> Settings:
        if self.planner in ("openai-compatible", "bedrock", "vertex") and not self.planner_model:
            example = {"openai-compatible": "llama3.1:8b", "bedrock": "anthropic.claude-sonnet-4-5-20250929-v1:0",
                       "vertex": "claude-sonnet-4-5@20250929"}[self.planner]
            raise ValueError(f"DEPUTY_PLANNER_MODEL: required when DEPUTY_PLANNER={self.planner} "
                             f"(the model id on that backend, e.g. {example})")
        return self

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # a value given here for an integration's setting is validated (and a secret masked)
        # by that integration's own model, not by this one: never shown from here
        extra = self.model_extra or {}
        for name, value in super().__repr_args__():
            yield name, "…" if name in extra else value

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use (the store picks the async driver)."""
        return self.database_url or f"sqlite:///{self.home / 'deputy.db'}"

    @property
    def resolved_policy_file(self) -> Path:
        if str(self.policy_file) not in ("", "."):
            return self.policy_file
        from bot.bundled import default_policy_file

        return default_policy_file()

    @property
    def resolved_team_policy_dir(self) -> Path:
        if str(self.team_policy_dir) not in ("", "."):
            return self.team_policy_dir
        return self.resolved_policy_file.parent / "teams"

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url

    @property
    def planner_backend(self) -> str:
        """DEPUTY_PLANNER; unset, Claude when ANTHROPIC_API_KEY is set and the offline rules otherwise."""
        if self.planner:
            return self.planner
        return "anthropic" if self.anthropic_api_key is not None else "rules"

    @property
    def approval_expiry(self) -> timedelta:
        return timedelta(hours=self.approval_expiry_hours)

    @property
    def undo_window(self) -> timedelta:
        return timedelta(hours=self.undo_window_hours)

    @property
    def queued_run_timeout(self) -> timedelta:
        return timedelta(minutes=self.queued_run_timeout_minutes)
