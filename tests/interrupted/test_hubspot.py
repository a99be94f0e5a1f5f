"""Interrupted writes to HubSpot (no idempotency keys), through the real httpx client and the
fake HubSpot behind a proxy that stalls or drops the answer after HubSpot acted: every write
action happens at most once and is reported as "outcome unknown"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.registry import IntegrationEnv, Registry, discover
from integrations.crm.client import HubSpotClient
from tests.fakes.hubspot_api import FakeHubSpot
from tests.interrupted.contract import (
    MODES,
    assert_unknown_and_at_most_once,
    call,
    context,
    contract_settings,
    write_actions,
)
from tests.interrupted.proxy import InterruptingProxy, Mode, http_writes

TOKEN = "pat-na1-contract-0000"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _records(fake: FakeHubSpot) -> dict[str, str]:
    """Records every case can use, put in place without HTTP."""
    return {
        "contact": fake.add("contacts", email="ana@acme.example", firstname="Ana")["id"],
        "company": fake.add("companies", name="Acme")["id"],
        "deal": fake.add("deals", dealname="Acme renewal", pipeline="default")["id"],
    }


CASES: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "create_contact": lambda r: {"email": "ben@acme.example", "firstname": "Ben"},
    "create_company": lambda r: {"name": "Globex"},
    "create_deal": lambda r: {"dealname": "Globex pilot"},
    "update_record": lambda r: {"object_type": "companies", "record_id": r["company"],
                                "properties": {"name": "Acme Ltd"}},
    "archive_record": lambda r: {"object_type": "deals", "record_id": r["deal"]},
    "associate": lambda r: {"from_type": "contacts", "from_id": r["contact"],
                            "to_type": "companies", "to_id": r["company"]},
    "remove_association": lambda r: {"from_type": "contacts", "from_id": r["contact"],
                                     "to_type": "companies", "to_id": r["company"]},
    "create_note": lambda r: {"object_type": "companies", "record_id": r["company"],
                              "body": "Renewal due in May"},
}


@dataclass
class World:
    fake: FakeHubSpot
    proxy: InterruptingProxy
    registry: Registry


@pytest.fixture(params=MODES)
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    mode: Mode = request.param
    fake = FakeHubSpot(tokens={TOKEN})
    await fake.start()
    proxy = InterruptingProxy(int(fake.url.rsplit(":", 1)[1]), http_writes(exclude=(b"/search",)), mode)
    await proxy.start()
    settings = contract_settings(hubspot_api_url=f"http://127.0.0.1:{proxy.port}",
                                 integrations=["crm"])
    registry = discover(["crm"])
    registry.start(IntegrationEnv(settings=settings, database=None, clock=None))
    loaded = registry.get("crm")
    assert loaded is not None and isinstance(loaded.client, HubSpotClient)
    # the client's own timeout, well inside the executor's: the realistic order
    loaded.client.timeout = 1.5  # under a loaded machine 0.5 s timed out before the write was sent
    yield World(fake, proxy, registry)
    await registry.aclose()
    await proxy.stop()
    await fake.stop()


def _writes_received(fake: FakeHubSpot) -> int:
    return sum(1 for method, path, _ in fake.requests
               if method in WRITE_METHODS and not path.endswith("/search"))


def test_every_write_has_a_case() -> None:
    assert write_actions(discover(["crm"]), "crm") == set(CASES)


@pytest.mark.parametrize("action", sorted(CASES))
async def test_an_interrupted_write_happens_at_most_once_and_is_reported(
        world: World, action: str) -> None:
    records = _records(world.fake)
    if action == "remove_association":  # something to remove
        world.fake.associations.add(("contacts", records["contact"], "companies", records["company"], 279))
    settings = contract_settings()
    outcome = await call(world.registry, settings, f"crm.{action}", CASES[action](records),
                         context({"access_token": TOKEN}))
    assert world.proxy.interrupted == 1, "the write never reached HubSpot"
    effects = _writes_received(world.fake)
    assert_unknown_and_at_most_once(outcome, effects, f"crm.{action}")
    assert effects == 1  # it did reach HubSpot, once
