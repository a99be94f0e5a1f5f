"""Contract tests: HubSpot's rate limits, failures and refusals in Deputy's error vocabulary."""

from __future__ import annotations

import logging

import pytest

from bot.errors import NotConnected, PermanentError, ReconnectNeeded, TransientError
from integrations.crm import actions as crm
from integrations.crm.client import HubSpotClient
from tests.fakes.hubspot_api import FakeHubSpot
from tests.integrations.crm.conftest import TOKEN, context


async def test_rate_limit_is_transient_with_retry_after(
    client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    hubspot.fail_next(429, retry_after="3")
    with pytest.raises(TransientError) as caught:
        await crm.search_contacts(client, context(), query="x")
    assert caught.value.retry_after == 3.0
    assert (await crm.search_contacts(client, context(), query="x"))["count"] == 0


async def test_rate_limit_without_retry_after_waits_out_the_secondly_window(
    client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    hubspot.fail_next(429)
    with pytest.raises(TransientError) as caught:
        await crm.create_company(client, context(), name="Acme")
    assert caught.value.retry_after == 1.0
    assert hubspot.records["companies"] == {}


async def test_rate_limit_in_the_middle_of_paging_is_transient(
    client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    for n in range(250):
        hubspot.add("companies", name=f"Co {n}")
    hubspot.fail_next(429, retry_after="2", after=1)  # the second page is refused
    with pytest.raises(TransientError) as caught:
        await crm.search_companies(client, context(), query="co", max_results=1000)
    assert caught.value.retry_after == 2.0
    assert [b.get("after") for _, _, b in hubspot.requests] == [None, "200"]


async def test_server_error_is_transient(client: HubSpotClient, hubspot: FakeHubSpot) -> None:
    hubspot.fail_next(500)
    with pytest.raises(TransientError, match="500"):
        await crm.get_record(client, context(), object_type="contacts", record_id="1")


async def test_unknown_record_is_a_clear_permanent_failure(client: HubSpotClient) -> None:
    with pytest.raises(PermanentError, match="not found") as caught:
        await crm.get_record(client, context(), object_type="deals", record_id="424242")
    assert not isinstance(caught.value, TransientError)


async def test_duplicate_contact_is_refused_with_hubspots_reason(
    client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    existing = hubspot.add("contacts", email="dup@acme.test")
    with pytest.raises(PermanentError, match=f"409.*Existing ID: {existing['id']}"):
        await crm.create_contact(client, context(), email="dup@acme.test")


async def test_bad_or_revoked_token_asks_to_reconnect_and_never_shows_it(
    client: HubSpotClient, hubspot: FakeHubSpot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "pat-na1-wrong-secret-9999"
    with pytest.raises(ReconnectNeeded) as bad:
        await crm.search_contacts(client, context(token=wrong), query="x")
    hubspot.fail_next(401)
    with pytest.raises(ReconnectNeeded) as revoked:
        await crm.create_company(client, context(), name="Acme")
    await crm.search_contacts(client, context(), query="x")

    for err in (bad.value, revoked.value):
        assert "connect crm" in str(err)
        assert wrong not in str(err) and TOKEN not in str(err)
    assert caplog.records  # httpx logged the requests; none of it carries a token
    assert wrong not in caplog.text and TOKEN not in caplog.text


async def test_slow_hubspot_is_a_transient_timeout(hubspot: FakeHubSpot) -> None:
    impatient = HubSpotClient(api_url=hubspot.url, timeout=0.2)
    hubspot.delay_seconds = 0.6
    try:
        with pytest.raises(TransientError, match="did not answer"):
            await crm.search_deals(impatient, context(), query="x")
    finally:
        await impatient.aclose()


async def test_missing_token_means_not_connected(client: HubSpotClient) -> None:
    with pytest.raises(NotConnected):
        await crm.search_contacts(client, context(token=""), query="x")
