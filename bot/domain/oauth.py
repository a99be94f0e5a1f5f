"""How an integration signs people in with OAuth 2: the ``oauth`` block of its manifest.

Data only. The registry reads it from manifest.yaml; the vault runs the flow it describes
(bot/vault/oauth.py), so neither needs the other and no provider is named in ``bot/``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class OAuthSettingNames(BaseModel):
    """Which fields of the integration's settings model hold its OAuth app (settings.py)."""

    client_id: str
    client_secret: str
    # optional overrides of the manifest's URLs (a test server, a regional endpoint)
    authorize_url: str | None = None
    token_url: str | None = None
    revoke_url: str | None = None


class OAuthSpec(BaseModel):
    """How `connect <name>` signs in with OAuth 2 (authorization code, PKCE S256) when the
    operator has set the app's client id. Without it, `connect` asks for ``credentials``."""

    title: str  # the provider's name people see: "HubSpot"
    authorize_url: str
    token_url: str
    # where disconnect revokes the refresh token; relative URLs resolve against the token URL.
    # "DELETE": the token goes in the URL as {refresh_token}; "POST": RFC 7009 form (token=…)
    revoke_url: str | None = None
    revoke_method: Literal["POST", "DELETE"] = "POST"
    scopes: list[str] = Field(default_factory=list)
    # how the app authenticates at the token endpoint: form fields, or HTTP Basic
    client_auth: Literal["body", "basic"] = "body"
    # extra query parameters of the consent link (Google: access_type=offline, prompt=consent)
    authorize_params: dict[str, str] = Field(default_factory=dict)
    settings: OAuthSettingNames

    @model_validator(mode="after")
    def _check(self) -> OAuthSpec:
        for url in (self.authorize_url, self.token_url):
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"oauth: {url!r} must be an http(s):// URL")
        if self.revoke_method == "DELETE" and self.revoke_url and "{refresh_token}" not in self.revoke_url:
            raise ValueError("oauth: a DELETE revoke_url must hold {refresh_token}")
        return self
