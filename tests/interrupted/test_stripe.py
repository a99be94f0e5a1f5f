"""Interrupted writes to Stripe (idempotency keys honoured), through the official SDK and the
fake Stripe behind a proxy that stalls or drops the answer after Stripe acted: each write
is retried with the same Idempotency-Key and happens exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.registry import IntegrationEnv, Registry, discover
from integrations.invoicing.client import StripeInvoicingClient
from tests.fakes.stripe_api import FakeStripe
from tests.interrupted.contract import (
    MODES,
    assert_exactly_once,
    call,
    context,
    contract_settings,
    write_actions,
)
from tests.interrupted.proxy import InterruptingProxy, Mode, http_writes

API_KEY = "sk_test_contract_0123456789"
JSON = dict[str, Any]


def _customer(fake: FakeStripe) -> str:
    made: JSON = fake._create_customer({"name": "Acme", "email": "billing@acme.example"}, "/v1/customers")
    return str(made["id"])


def _invoice(fake: FakeStripe, customer: str, open_: bool) -> str:
    fake._create_item({"customer": customer, "amount": "120000", "currency": "eur",
                       "description": "Consulting"}, "/v1/invoiceitems")
    invoice: JSON = fake._create_invoice(
        {"customer": customer, "currency": "eur", "collection_method": "send_invoice",
         "days_until_due": "30", "pending_invoice_items_behavior": "include"}, "/v1/invoices")
    if open_:
        fake._on_object("POST", ["invoices", invoice["id"], "finalize"], {"auto_advance": "false"})
    return str(invoice["id"])


@dataclass(frozen=True)
class Case:
    args: Callable[[FakeStripe], JSON]
    path: str  # the endpoint whose effect is counted: a path, or a prefix and a suffix
    suffix: str = ""
    method: str = "POST"


CASES: dict[str, Case] = {
    "create_customer": Case(lambda f: {"name": "Globex", "email": "ap@globex.example"},
                            "/v1/customers"),
    "create_invoice_item": Case(lambda f: {"customer": _customer(f), "amount": 5000,
                                           "currency": "EUR", "description": "Hosting"},
                                "/v1/invoiceitems"),
    "create_invoice": Case(lambda f: {"customer": _customer(f), "currency": "eur",
                                      "items": [{"amount": 9000, "description": "Design"}]},
                           "/v1/invoices"),
    "finalize_invoice": Case(lambda f: {"invoice_id": _invoice(f, _customer(f), open_=False)},
                             "/v1/invoices/", "/finalize"),
    "send_invoice": Case(lambda f: {"invoice_id": _invoice(f, _customer(f), open_=True)},
                         "/v1/invoices/", "/send"),
    "void_invoice": Case(lambda f: {"invoice_id": _invoice(f, _customer(f), open_=True)},
                         "/v1/invoices/", "/void"),
    # a draft is deleted, and Stripe takes no idempotency key on DELETE
    "void_invoice:draft": Case(lambda f: {"invoice_id": _invoice(f, _customer(f), open_=False)},
                               "/v1/invoices/", "", "DELETE"),
}


@dataclass
class World:
    fake: FakeStripe
    proxy: InterruptingProxy
    registry: Registry


@pytest.fixture(params=MODES)
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    mode: Mode = request.param
    fake = FakeStripe(api_keys={API_KEY})
    await fake.start()
    # the first POST or DELETE: for every action here, the write itself
    proxy = InterruptingProxy(int(fake.url.rsplit(":", 1)[1]), http_writes(), mode)
    await proxy.start()
    settings = contract_settings(stripe_api_url=f"http://127.0.0.1:{proxy.port}")
    registry = discover(["invoicing"])
    registry.start(IntegrationEnv(settings=settings, database=None, clock=None))
    loaded = registry.get("invoicing")
    assert loaded is not None and isinstance(loaded.client, StripeInvoicingClient)
    loaded.client.timeout = 1.5  # the client's own timeout, inside the executor's (0.5 s timed out before sending, under load)
    yield World(fake, proxy, registry)
    await registry.aclose()
    await proxy.stop()
    await fake.stop()


def _effects(fake: FakeStripe, case: Case) -> int:
    """Write requests Stripe acted on for this endpoint: a repeat under the same key is a
    replay of the first answer; a repeat without one, or under another key, acts again."""
    acted: set[str] = set()
    for n, (method, path, key) in enumerate(fake.requests):
        hit = path.startswith(case.path) and path.endswith(case.suffix) and (
            case.suffix or path == case.path or case.method == "DELETE")
        if method == case.method and hit:
            acted.add(key or f"no key #{n}")
    return len(acted)


def test_every_write_has_a_case() -> None:
    assert write_actions(discover(["invoicing"]), "invoicing") == {c.split(":")[0] for c in CASES}


@pytest.mark.parametrize("action", sorted(CASES))
async def test_an_interrupted_write_is_retried_with_its_key_and_happens_once(
        world: World, action: str) -> None:
    case = CASES[action]
    args = case.args(world.fake)
    before = (len(world.fake.customers), len(world.fake.invoice_items), len(world.fake.invoices))
    outcome = await call(world.registry, contract_settings(), f"invoicing.{action.split(':')[0]}", args,
                         context({"api_key": API_KEY}))
    assert world.proxy.interrupted == 1, "the write never reached Stripe"
    assert_exactly_once(outcome, _effects(world.fake, case), f"invoicing.{action}")
    after = (len(world.fake.customers), len(world.fake.invoice_items), len(world.fake.invoices))
    created = {"create_customer": (1, 0, 0), "create_invoice_item": (0, 1, 0),
               "create_invoice": (0, 1, 1), "void_invoice:draft": (0, 0, -1)}.get(action, (0, 0, 0))
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == created
