"""Typed entry points of the crm (HubSpot) integration; arguments match manifest.yaml.

HubSpot takes no idempotency key, so ``idempotent_writes`` is false: the executor's own
ledger keeps a write from being sent twice, and a write cut off by a crash is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from bot.sdk import ActionFn, ActionSet, CallContext, IntegrationEnv, InvalidArguments
from integrations.common.addresses import addr_spec
from integrations.crm import shapes
from integrations.crm.client import INTEGRATION, HubSpotClient

# properties fetched when the caller names none: what a person needs to recognise a record
DEFAULT_PROPERTIES = {
    "contacts": ["firstname", "lastname", "email", "phone", "company", "jobtitle"],
    "companies": ["name", "domain", "phone", "city", "country"],
    "deals": ["dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "closedate"],
    "notes": ["hs_note_body", "hs_timestamp"],
}


def build_client(env: IntegrationEnv) -> HubSpotClient:
    return HubSpotClient.from_env(env, getattr(env.config, "hubspot_api_url", None))


actions = ActionSet(INTEGRATION, client_factory=build_client)


# ---- search and read --------------------------------------------------------------------


def _email(value: str) -> str:
    return addr_spec(value, "crm: email")


def _search(object_type: str, argument: str, prop: str,
            clean: Callable[[str], str] = str) -> ActionFn:
    """The search action of one object type: free text, property filters (all must hold), and
    one argument matched exactly against one property (a contact's email, a deal's stage)."""

    async def search(
        client: HubSpotClient,
        ctx: CallContext,
        query: str | None = None,
        filters: list[dict[str, Any]] | None = None,
        properties: list[str] | None = None,
        max_results: int = 100,
        **exact: str,
    ) -> dict[str, Any]:
        unknown = sorted(set(exact) - {argument})
        if unknown:
            raise InvalidArguments(f"crm: search_{object_type} takes no {', '.join(unknown)}")
        all_filters = list(filters or [])
        if exact.get(argument):
            all_filters.append({"property": prop, "operator": "EQ", "value": clean(exact[argument])})
        body: dict[str, Any] = {"properties": properties or DEFAULT_PROPERTIES[object_type]}
        if query:
            body["query"] = query
        if all_filters:
            # one filter group: every filter must hold (HubSpot ANDs within a group)
            body["filterGroups"] = [{"filters": [
                {"propertyName": f["property"], "operator": f["operator"]}
                | ({"value": f["value"]} if "value" in f else {})
                for f in all_filters
            ]}]
        found, total, more = await client.search(client.credential(ctx), object_type, body, max_results)
        return {
            "results": [shapes.record(object_type, r) for r in found],
            "count": len(found),
            "total": total,
            "truncated": more,
        }

    return search


search_contacts = actions.action("search_contacts")(_search("contacts", "email", "email", _email))
search_companies = actions.action("search_companies")(_search("companies", "domain", "domain"))
search_deals = actions.action("search_deals")(_search("deals", "stage", "dealstage"))


@actions.action("get_record")
async def get_record(
    client: HubSpotClient,
    ctx: CallContext,
    object_type: str,
    record_id: str,
    properties: list[str] | None = None,
) -> dict[str, Any]:
    found = await client.get(
        client.credential(ctx), object_type, record_id, properties or DEFAULT_PROPERTIES[object_type]
    )
    return {"record": shapes.record(object_type, found)}


# ---- writes -----------------------------------------------------------------------------


def _present(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


async def _create(client: HubSpotClient, ctx: CallContext, object_type: str, props: dict[str, Any],
                  associations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Creates one record; its id in the result is what the manifest's undo archives."""
    created = await client.create(client.credential(ctx), object_type, props, associations)
    return {"record": shapes.record(object_type, created)}


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
    return await _create(client, ctx, "contacts", props)


@actions.action("create_company")
async def create_company(
    client: HubSpotClient, ctx: CallContext, name: str, domain: str | None = None
) -> dict[str, Any]:
    props = _present(name=name, domain=domain)
    return await _create(client, ctx, "companies", props)


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
    return await _create(client, ctx, "deals", props)


@actions.action("update_record")
async def update_record(
    client: HubSpotClient,
    ctx: CallContext,
    object_type: str,
    record_id: str,
    properties: dict[str, str] | None = None,
    amount_cents: int | None = None,
) -> dict[str, Any]:
    """Changes the given properties; the result's ``previous`` holds what they were, in this
    action's own arguments, so the manifest's undo puts them back (an empty string clears)."""
    props: dict[str, Any] = dict(properties or {})
    if props.get("email"):
        props["email"] = addr_spec(props["email"], "crm: properties.email")
    if props.get("amount"):  # an empty amount clears it; a value comes as amount_cents
        raise InvalidArguments("crm: give a deal's amount as amount_cents (integer minor units)")
    if amount_cents is not None and object_type != "deals":
        raise InvalidArguments("crm: amount_cents applies to deals only")
    if not props and amount_cents is None:
        raise InvalidArguments("crm: update_record needs at least one property to change")
    token = client.credential(ctx)
    if amount_cents is not None:
        props["amount"] = ""  # read below with the currency; set from amount_cents
    wanted = set(props) | ({"deal_currency_code"} if "amount" in props else set())
    found = await client.get(token, object_type, record_id, sorted(wanted))
    before: dict[str, Any] = dict(found.get("properties") or {})
    if amount_cents is not None:
        currency = props.get("deal_currency_code") or before.get("deal_currency_code")
        props["amount"] = shapes.amount_to_hubspot(amount_cents, currency)
    updated = await client.update(token, object_type, record_id, props)
    return {"record": shapes.record(object_type, updated),
            "previous": _previous(before, props)}


def _previous(before: dict[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
    """update_record's arguments that put ``changed`` back as ``before`` had it."""
    previous: dict[str, Any] = {}
    restore = {name: before.get(name) or "" for name in changed if name != "amount"}
    old_cents = shapes.amount_from_hubspot(before.get("amount"), before.get("deal_currency_code"))
    if "amount" in changed and old_cents is not None:
        previous["amount_cents"] = old_cents
    elif "amount" in changed:
        restore["amount"] = ""  # there was none: clear it
    if restore:
        previous["properties"] = restore
    return previous


@actions.action("archive_record")
async def archive_record(
    client: HubSpotClient, ctx: CallContext, object_type: str, record_id: str
) -> dict[str, Any]:
    await client.archive(client.credential(ctx), object_type, record_id)
    return {"archived": {"type": object_type, "id": record_id}}


def _pair(from_type: str, from_id: str, to_type: str, to_id: str) -> dict[str, str]:
    return {"from_type": from_type, "from_id": from_id, "to_type": to_type, "to_id": to_id}


@actions.action("associate")
async def associate(
    client: HubSpotClient,
    ctx: CallContext,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
) -> dict[str, Any]:
    """Links two records; ``added`` (the undo's arguments) only when they were not linked
    before, so an undo never removes a link that was already there."""
    token = client.credential(ctx)
    before = await client.association_types(token, from_type, from_id, to_type, to_id)
    answer = await client.associate_default(token, from_type, from_id, to_type, to_id)
    type_ids = sorted(
        {
            int(r["associationSpec"]["associationTypeId"])
            for r in answer.get("results") or []
            if isinstance(r.get("associationSpec"), dict)
        }
    )
    result: dict[str, Any] = {
        "associated": {"from": [from_type, from_id], "to": [to_type, to_id]},
        "association_type_ids": type_ids,
    }
    if not before:
        result["added"] = _pair(from_type, from_id, to_type, to_id)
    return result


@actions.action("remove_association")
async def remove_association(
    client: HubSpotClient,
    ctx: CallContext,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
) -> dict[str, Any]:
    """Removes every association between two records; ``restorable`` (the undo's arguments)
    only when what it removed was the default unlabeled link, which ``associate`` puts back."""
    token = client.credential(ctx)
    before = await client.association_types(token, from_type, from_id, to_type, to_id)
    await client.remove_associations(token, from_type, from_id, to_type, to_id)
    result: dict[str, Any] = {"removed": {"from": [from_type, from_id], "to": [to_type, to_id]}}
    if before and all(t.get("category") == "HUBSPOT_DEFINED" and not t.get("label") for t in before):
        result["restorable"] = _pair(from_type, from_id, to_type, to_id)
    return result


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
    note = await _create(client, ctx, "notes", {"hs_note_body": body, "hs_timestamp": when},
                         [association])
    return {**note, "attached_to": [object_type, record_id]}
