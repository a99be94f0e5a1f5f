"""The invoicing integration's settings, read as DEPUTY_STRIPE_… variables."""

from __future__ import annotations

from pydantic import Field

from bot.sdk import IntegrationSettings


class InvoicingSettings(IntegrationSettings):
    stripe_api_url: str = Field(default="https://api.stripe.com", description="Stripe API base URL.")
