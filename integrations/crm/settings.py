"""The crm integration's settings: HubSpot's API, and the HubSpot app `connect crm` signs in
with (manifest.yaml's ``oauth`` names these fields). Read as DEPUTY_HUBSPOT_… variables."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bot.sdk import IntegrationSettings


class CrmSettings(IntegrationSettings):
    hubspot_api_url: str = Field(default="https://api.hubapi.com", description="HubSpot API base URL.")
    hubspot_client_id: str = Field(default="", description="HubSpot app client id; set: `connect crm` uses OAuth.")
    hubspot_client_secret: SecretStr | None = Field(default=None, description="HubSpot app client secret.")
    hubspot_auth_url: str = Field(default="https://app.hubspot.com/oauth/authorize", description="HubSpot authorize URL.")
    hubspot_token_url: str = Field(default="https://api.hubapi.com/oauth/v1/token", description="HubSpot token URL.")
