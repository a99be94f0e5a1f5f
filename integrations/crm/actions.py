"""Typed entry points of the crm (HubSpot) integration; arguments match manifest.yaml.

HubSpot takes no idempotency key, so ``idempotent_writes`` is false: the executor's own
ledger keeps a write from being sent twice, and a write cut off by a crash is reported.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from bot.errors import InvalidArguments, NotConnected
from bot.registry.contract import ActionSet, CallContext, IntegrationEnv
from integrations.common.addresses import addr_spec
from integrations.crm import shapes
from integrations.crm.client import (
    DEFAULT_API_URL,
    DEFAULT_TIMEOUT_SECONDS,
    INTEGRATION,
    HubSpotClient,
)

# properties fetched when the caller names none: what a person needs to recognise a record
DEFAULT_PROPERTIES = {
    "contacts": ["firstname", "lastname", "email", "phone", "company", "jobtitle"],
    "companies": ["name", "domain", "phone", "city", "country"],
    "deals": ["dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "closedate"],
    "notes": ["hs_note_body", "hs_timestamp"],
}


def build_client(env: IntegrationEnv) -> HubSpotClient:
    settings = env.settings
    step_timeout = float(getattr(settings, "step_timeout_seconds", DEFAULT_TIMEOUT_SECONDS))
    return HubSpotClient(
        api_url=getattr(settings, "hubspot_api_url", DEFAULT_API_URL) or DEFAULT_API_URL,
        timeout=min(DEFAULT_TIMEOUT_SECONDS, step_timeout),
        clock=getattr(env, "clock", None),
    )


actions = ActionSet(INTEGRATION, client_factory=build_client)


def _token(ctx: CallContext) -> str:
    token = ctx.credentials.get("access_token", "")
    if not token:
        raise NotConnected(INTEGRATION)
    return token


# ---- search and read --------------------------------------------------------------------


async def _search(
    client: HubSpotClient,
    ctx: CallContext,
    object_type: str,
    query: str | None,
    filters: list[dict[str, Any]] | None,
    properties: list[str] | None,
    max_results: int,
) -> dict[str, Any]:
    body: dict[str, Any] = {"properties": properties or DEFAULT_PROPERTIES[object_type]}
    if query:
        body["query"] = query
    if filters:
        # one filter group: every filter must hold (HubSpot ANDs within a group)
        body["filterGroups"] = [
            {
                "filters": [
                    {"propertyName": f["property"], "operator": f["operator"]}
                    | ({"value": f["value"]} if "value" in f else {})
                    for f in filters
                ]
            }
        ]
    found, total, more = await client.search(_token(ctx), object_type, body, max_results)
    return {
        "results": [shapes.record(object_type, r) for r in found],
        "count": len(found),
        "total": total,
        "truncated": more,
    }


@actions.action("search_contacts")
async def search_contacts(
    client: HubSpotClient,
    ctx: CallContext,
    query: str | None = None,
    email: str | None = None,
    filters: list[dict[str, Any]] | None = None,
    properties: list[str] | None = None,
    max_results: int = 100,
) -> dict[str, Any]:
    all_filters = list(filters or [])
    if email:
        all_filters.append({"property": "email", "operator": "EQ", "value": addr_spec(email, "crm: email")})
    return await _search(client, ctx, "contacts", query, all_filters, properties, max_results)


@actions.action("search_companies")
async def search_companies(
    client: HubSpotClient,
    ctx: CallContext,
    query: str | None = None,
    domain: str | None = None,
    filters: list[dict[str, Any]] | None = None,
    properties: list[str] | None = None,
    max_results: int = 100,
) -> dict[str, Any]:
    all_filters = list(filters or [])
    if domain:
        all_filters.append({"property": "domain", "operator": "EQ", "value": domain})
    return await _search(client, ctx, "companies", query, all_filters, properties, max_results)


@actions.action("search_deals")
async def search_deals(
    client: HubSpotClient,
    ctx: CallContext,
    query: str | None = None,
    stage: str | None = None,
    filters: list[dict[str, Any]] | None = None,
    properties: list[str] | None = None,
    max_results: int = 100,
) -> dict[str, Any]:
    all_filters = list(filters or [])
    if stage:
        all_filters.append({"property": "dealstage", "operator": "EQ", "value": stage})
    return await _search(client, ctx, "deals", query, all_filters, properties, max_results)


@actions.action("get_record")
async def get_record(
    client: HubSpotClient,
    ctx: CallContext,
    object_type: str,
    record_id: str,
    properties: list[str] | None = None,
) -> dict[str, Any]:
    found = await client.get(
        _token(ctx), object_type, record_id, properties or DEFAULT_PROPERTIES[object_type]
    )
    return {"record": shapes.record(object_type, found)}


# ---- writes -----------------------------------------------------------------------------


def _present(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


@actions.action("create_contact")
async def create_contact(
    client: HubSpotClient,
    ctx: CallContext,
    email: str,
    firstname: str | None = None,
    lastname: str | None = None,
    phone: str | None = None,
    company: str | None = None,
    jobtitle: str | None = None,
) -> dict[str, Any]:
    props = _present(
        email=addr_spec(email, "crm: email"),
        firstname=firstname,
        lastname=lastname,
        phone=phone,
        company=company,
        jobtitle=jobtitle,
    )
    return {
        "record": shapes.record("contacts", await client.create(_token(ctx), "contacts", props))
    }


@actions.action("create_company")
async def create_company(
    client: HubSpotClient, ctx: CallContext, name: str, domain: str | None = None
) -> dict[str, Any]:
    props = _present(name=name, domain=domain)
    return {
        "record": shapes.record("companies", await client.create(_token(ctx), "companies", props))
    }


@actions.action("create_deal")
async def create_deal(
    client: HubSpotClient,
    ctx: CallContext,
    dealname: str,
    amount_cents: int | None = None,
    currency: str | None = None,
    dealstage: str | None = None,
    pipeline: str = "default",
    closedate: str | None = None,
) -> dict[str, Any]:
    props = _present(
        dealname=dealname,
        dealstage=dealstage,
        pipeline=pipeline,
        closedate=closedate,
        deal_currency_code=currency.upper() if currency else None,
    )
    if amount_cents is not None:
        props["amount"] = shapes.amount_to_hubspot(amount_cents, currency)
    return {"record": shapes.record("deals", await client.create(_token(ctx), "deals", props))}


@actions.action("update_record")
async def update_record(
    client: HubSpotClient,
    ctx: CallContext,
    object_type: str,
    record_id: str,
    properties: dict[str, str] | None = None,
    amount_cents: int | None = None,
) -> dict[str, Any]:
    props: dict[str, Any] = dict(properties or {})
    if "email" in props:
        props["email"] = addr_spec(props["email"], "crm: properties.email")
    if "amount" in props:
        raise InvalidArguments("crm: give a deal's amount as amount_cents (integer minor units)")
    token = _token(ctx)
    if amount_cents is not None:
        if object_type != "deals":
            raise InvalidArguments("crm: amount_cents applies to deals only")
        current = await client.get(token, "deals", record_id, ["deal_currency_code"])
        currency = props.get("deal_currency_code") or (current.get("properties") or {}).get(
            "deal_currency_code"
        )
        props["amount"] = shapes.amount_to_hubspot(amount_cents, currency)
    if not props:
        raise InvalidArguments("crm: update_record needs at least one property to change")
    updated = await client.update(token, object_type, record_id, props)
    return {"record": shapes.record(object_type, updated)}


@actions.action("archive_record")
async def archive_record(
    client: HubSpotClient, ctx: CallContext, object_type: str, record_id: str
) -> dict[str, Any]:
    await client.archive(_token(ctx), object_type, record_id)
    return {"archived": {"type": object_type, "id": record_id}}


@actions.action("associate")
async def associate(
    client: HubSpotClient,
    ctx: CallContext,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
) -> dict[str, Any]:
    answer = await client.associate_default(_token(ctx), from_type, from_id, to_type, to_id)
    type_ids = sorted(
        {
            int(r["associationSpec"]["associationTypeId"])
            for r in answer.get("results") or []
            if isinstance(r.get("associationSpec"), dict)
        }
    )
    return {
        "associated": {"from": [from_type, from_id], "to": [to_type, to_id]},
        "association_type_ids": type_ids,
    }


@actions.action("remove_association")
async def remove_association(
    client: HubSpotClient,
    ctx: CallContext,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
) -> dict[str, Any]:
    await client.remove_associations(_token(ctx), from_type, from_id, to_type, to_id)
    return {"removed": {"from": [from_type, from_id], "to": [to_type, to_id]}}


@actions.action("create_note")
async def create_note(
    client: HubSpotClient,
    ctx: CallContext,
    object_type: str,
    record_id: str,
    body: str,
    timestamp: str | None = None,
) -> dict[str, Any]:
    """A note on a contact, company or deal, created with its association in one request."""
    when = timestamp or client.now().astimezone(UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
    association = {
        "to": {"id": record_id},
        "types": [
            {
                "associationCategory": "HUBSPOT_DEFINED",
                "associationTypeId": shapes.NOTE_ASSOCIATION_TYPE[object_type],
            }
        ],
    }
    created = await client.create(
        _token(ctx), "notes", {"hs_note_body": body, "hs_timestamp": when}, [association]
    )
    return {"record": shapes.record("notes", created), "attached_to": [object_type, record_id]}
