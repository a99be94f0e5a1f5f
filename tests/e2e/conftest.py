"""The whole Deputy core with every built-in integration, against real local backends:
Radicale (CalDAV), aiosmtpd (SMTP), and the Stripe and HubSpot fakes speaking their real
wire formats. A person connects each account through the shell, as a user would."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.shell.session import ShellSession
from bot.app import Deputy
from bot.planning import Planner
from bot.planning.rules import RulePlanner
from bot.registry import discover
from bot.settings import Settings, load_settings
from bot.store.database import Database
from tests.core.conftest import NOW, seeded_app
from tests.fakes.hubspot_api import FakeHubSpot
from tests.fakes.stripe_api import FakeStripe
from tests.integrations.calendar.conftest import CalendarAccount, _make_account, radicale_url
from tests.integrations.email.conftest import SmtpServer, smtp_sink
from tests.support.chat import Chat

__all__ = ["radicale_url", "smtp_sink"]  # fixtures shared with the contract tests

STRIPE_KEY = "sk_test_e2e_0123456789abcdef"
HUBSPOT_TOKEN = "pat-na1-e2e-token-0000"
USER = "Dev Patel"  # a member of the demo agency


class Answers:
    """What the person types into the private connect prompts, in order."""

    def __init__(self) -> None:
        self.queue: list[str] = []

    async def __call__(self, label: str, secret: bool) -> str | None:
        return self.queue.pop(0) if self.queue else None


@dataclass
class World:
    app: Deputy
    chat: Chat
    answers: Answers
    calendar: CalendarAccount
    stripe: FakeStripe
    hubspot: FakeHubSpot
    smtp: SmtpServer

    async def connect(self, integration: str, *answers: str) -> str:
        self.answers.queue = list(answers)
        return await self.chat.say(f"connect {integration}")


@pytest.fixture
async def stripe() -> AsyncIterator[FakeStripe]:
    fake = FakeStripe(api_keys={STRIPE_KEY})
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def hubspot() -> AsyncIterator[FakeHubSpot]:
    fake = FakeHubSpot(tokens={HUBSPOT_TOKEN})
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def e2e_settings(tmp_path: Path, stripe: FakeStripe, hubspot: FakeHubSpot) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=10,
                         integrations=["local", "calendar", "email", "invoicing", "crm"],
                         stripe_api_url=stripe.url, hubspot_api_url=hubspot.url)


@pytest.fixture
def planner() -> Planner:
    """The world's planner; a test module overrides ``planner`` to script its plans."""
    return RulePlanner()


@pytest.fixture
async def world(database: Database, e2e_settings: Settings, radicale_url: str, stripe: FakeStripe,
                hubspot: FakeHubSpot, smtp_sink: SmtpServer, planner: Planner) -> World:
    app = await seeded_app(database, e2e_settings, discover(e2e_settings.integrations), planner=planner)
    answers = Answers()
    chat = Chat(app, user=USER)
    chat.session = ShellSession(app, chat.port, chat.user, answers)
    calendar = _make_account(radicale_url, f"dev-{uuid.uuid4().hex[:8]}@demo-agency.example", "app-password")
    return World(app, chat, answers, calendar, stripe, hubspot, smtp_sink)


def stripe_customer(fake: FakeStripe, name: str, email: str) -> str:
    customer: dict[str, Any] = fake._create_customer({"name": name, "email": email}, "/v1/customers")
    return str(customer["id"])


def stripe_overdue_invoice(fake: FakeStripe, customer: str, amount: int, days_overdue: int) -> dict[str, Any]:
    """An open, emailed invoice whose due date passed ``days_overdue`` days before NOW."""
    fake._create_item({"customer": customer, "amount": str(amount), "currency": "eur",
                       "description": "Consulting"}, "/v1/invoiceitems")
    invoice: dict[str, Any] = fake._create_invoice(
        {"customer": customer, "currency": "eur", "collection_method": "send_invoice", "days_until_due": "30",
         "pending_invoice_items_behavior": "include"}, "/v1/invoices")
    invoice.update(status="open", number=f"ACME-{len(fake.invoices):04d}",
                   due_date=int(NOW.timestamp()) - days_overdue * 86400 - 3600,
                   hosted_invoice_url=f"{fake.url}/i/{invoice['id']}")
    invoice["status_transitions"]["finalized_at"] = int(time.time())
    return invoice
