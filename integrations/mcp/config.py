"""How one MCP server is configured: a ``[[mcp_servers]]`` table in deputy.toml.

``env`` and ``headers`` often carry tokens, so their values are ``SecretStr``: they print as
``**********`` in reprs, settings dumps and validation errors, and are revealed only at the
moment the subprocess is spawned or the HTTP client is built (in ``client.py``).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class McpServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The integration name: lowercase letters, digits and _.")
    transport: Literal["stdio", "http"] = "stdio"
    command: str = Field(default="", description="stdio: the executable that starts the server.")
    # a command line or URL may carry a token too (better kept in env/headers): not in reprs
    args: list[str] = Field(default_factory=list, repr=False, description="stdio: its arguments.")
    env: dict[str, SecretStr] = Field(
        default_factory=dict, description="stdio: extra environment variables (may hold tokens).")
    url: str = Field(default="", repr=False, description="http: the streamable HTTP endpoint, e.g. https://host/mcp.")
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="http: extra request headers (may hold tokens).")
    timeout_seconds: float = Field(default=30.0, gt=0, description="Timeout of one tool call or listing.")
    # starting a server can be slow (an `npx` first run downloads the package)
    connect_timeout_seconds: float = Field(
        60.0, gt=0, description="Timeout of starting/reaching the server and the MCP handshake.")
    description: str = Field(default="", description="What this server is for, shown to the planner.")
    # a server's readOnlyHint is its own claim: only an operator who trusts the server lets
    # Deputy call such tools before approval (previews) or without one (read-only plans)
    trusted: bool = Field(
        default=False,
        description="Believe the server's readOnlyHint: its read tools may run in previews and in "
                    "plans that run without approval. Untrusted: every call waits for an approval.")

    teams: list[str] = Field(
        default_factory=list,
        description="Only goals of these teams (platform:team, e.g. slack:T0123) see this server; "
                    "empty: every team.")

    @model_validator(mode="after")
    def _check(self) -> McpServerConfig:
        for team in self.teams:
            platform, _, team_id = team.partition(":")
            if not platform or not team_id or ":" in team_id:
                raise ValueError(f"mcp server {self.name!r}: team {team!r} is not platform:team "
                                 "(e.g. slack:T0123, discord:81234, shell:local)")
        if not NAME_PATTERN.fullmatch(self.name):
            raise ValueError(
                f"mcp server name {self.name!r} must be lowercase letters, digits and _ "
                "and start with a letter")
        if self.transport == "stdio":
            if not self.command:
                raise ValueError(f"mcp server {self.name!r}: a stdio server needs a command")
            if self.url or self.headers:
                raise ValueError(f"mcp server {self.name!r}: url and headers are for http servers")
        else:
            if not self.url.startswith(("http://", "https://")):
                raise ValueError(f"mcp server {self.name!r}: an http server needs an http(s):// url")
            if self.command or self.args or self.env:
                raise ValueError(f"mcp server {self.name!r}: command, args and env are for stdio servers")
        return self

    def revealed_env(self) -> dict[str, str]:
        return {key: value.get_secret_value() for key, value in self.env.items()}

    def revealed_headers(self) -> dict[str, str]:
        return {key: value.get_secret_value() for key, value in self.headers.items()}

    def display_target(self) -> str:
        """Where the server is, for messages: no query string, no user info, no env."""
        if self.transport == "stdio":
            return f"command {self.command!r}"
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"
