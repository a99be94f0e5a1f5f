"""The only module of the crm integration that talks to HubSpot (CRM API v3, associations v4).

httpx directly: HubSpot's official Python client is synchronous. The access token arrives
per call (from the vault); it goes into the Authorization header and nowhere else, and any
message from HubSpot is scrubbed of it before it becomes an error.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from bot.sdk import (
    HttpApi,
    IntegrationError,
    PermanentError,
    ReconnectNeeded,
    TransientError,
    error_for_status,
    scrub,
)

INTEGRATION = "crm"
DEFAULT_API_URL = "https://api.hubapi.com"
DEFAULT_TIMEOUT_SECONDS = 20.0
SEARCH_PAGE_SIZE = 200  # the most HubSpot's search endpoint returns per request
SEARCH_WINDOW = 10_000  # HubSpot's search cannot page past this many results
ASSOCIATIONS_PAGE_SIZE = 500  # the most the v4 associations list returns per request

JSON = dict[str, Any]


class HubSpotClient(HttpApi):
    """One per process; each call names the token it acts with."""

    integration = INTEGRATION
    provider = "HubSpot"
    credential_name = "access_token"
    default_api_url = DEFAULT_API_URL
    default_timeout = DEFAULT_TIMEOUT_SECONDS

    async def request(
        self,
        token: str,
        method: str,
        path: str,
        body: JSON | None = None,
        params: JSON | None = None,
    ) -> JSON:
        if not token:
            raise ReconnectNeeded(INTEGRATION)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        response = await self.send(method, path, headers, json=body, params=params)
        if response.status_code >= 400:
            raise _error(response, token)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            data = response.json()
        except ValueError as err:
            raise PermanentError(
                f"{INTEGRATION}: HubSpot answered with something not JSON"
            ) from err
        return data if isinstance(data, dict) else {"results": data}

    # ---- objects (CRM API v3) ---------------------------------------------------------

    async def search(
        self, token: str, object_type: str, body: JSON, max_results: int
    ) -> tuple[list[JSON], int, bool]:
        """Follow ``paging.next.after`` until done or ``max_results``; (results, total, more)."""
        results: list[JSON] = []
        total = 0
        after: str | None = None
        cap = min(max_results, SEARCH_WINDOW)
        while len(results) < cap:
            page_body = {**body, "limit": min(SEARCH_PAGE_SIZE, cap - len(results))}
            if after:
                page_body["after"] = after
            page = await self.request(
                token, "POST", f"/crm/v3/objects/{object_type}/search", page_body
            )
            results.extend(page.get("results") or [])
            total = int(page.get("total") or len(results))
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after or not page.get("results"):
                break
        return results[:cap], total, total > len(results[:cap])

    async def get(
        self, token: str, object_type: str, record_id: str, properties: list[str]
    ) -> JSON:
        params = {"properties": ",".join(properties)} if properties else None
        return await self.request(
            token, "GET", f"/crm/v3/objects/{object_type}/{record_id}", params=params
        )

    async def create(
        self, token: str, object_type: str, properties: JSON, associations: list[JSON] | None = None
    ) -> JSON:
        body: JSON = {"properties": properties}
        if associations:
            body["associations"] = associations
        return await self.request(token, "POST", f"/crm/v3/objects/{object_type}", body)

    async def update(self, token: str, object_type: str, record_id: str, properties: JSON) -> JSON:
        return await self.request(
            token, "PATCH", f"/crm/v3/objects/{object_type}/{record_id}", {"properties": properties}
        )

    async def archive(self, token: str, object_type: str, record_id: str) -> None:
        await self.request(token, "DELETE", f"/crm/v3/objects/{object_type}/{record_id}")

    # ---- associations (v4: the default, unlabeled association between two records) -----

    async def associate_default(
        self, token: str, from_type: str, from_id: str, to_type: str, to_id: str
    ) -> JSON:
        path = f"/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}"
        return await self.request(token, "PUT", path)

    async def remove_associations(
        self, token: str, from_type: str, from_id: str, to_type: str, to_id: str
    ) -> None:
        path = f"/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}"
        await self.request(token, "DELETE", path)

    async def association_types(
        self, token: str, from_type: str, from_id: str, to_type: str, to_id: str
    ) -> list[JSON]:
        """The association types (``category``, ``typeId``, ``label``) linking one record to
        another, following ``paging.next.after``; empty when they are not associated."""
        path = f"/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}"
        after: str | None = None
        while True:
            params: JSON = {"limit": ASSOCIATIONS_PAGE_SIZE} | ({"after": after} if after else {})
            page = await self.request(token, "GET", path, params=params)
            for linked in page.get("results") or []:
                if str(linked.get("toObjectId")) == to_id:
                    return list(linked.get("associationTypes") or [])
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after or not page.get("results"):
                return []


def _error(response: httpx.Response, token: str) -> IntegrationError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = _readable(body) if isinstance(body, dict) else ""
    message = scrub(message, token)
    err = error_for_status(INTEGRATION, response.status_code, response.headers, message)
    if isinstance(err, TransientError) and err.retry_after is None and response.status_code == 429:
        err.retry_after = _rate_limit_window(response.headers, body)
    return err or PermanentError(f"{INTEGRATION}: HubSpot error {response.status_code}")


INVALID_PROPERTIES = "Property values were not valid: "


def _readable(body: JSON) -> str:
    """HubSpot's message, with the parts a person needs brought forward: its validation errors
    embed a JSON list of problems in the message, and "required properties were not set"
    names the properties only in ``context``."""
    message = str(body.get("message") or "")
    if message.startswith(INVALID_PROPERTIES):
        try:
            problems = json.loads(message.removeprefix(INVALID_PROPERTIES))
        except ValueError:
            return message
        if isinstance(problems, list) and problems:
            return "; ".join(
                str(p.get("message") or p.get("error")) for p in problems if isinstance(p, dict)
            )
    context = body.get("context")
    if isinstance(context, dict) and isinstance(context.get("properties"), list):
        message = f"{message} Missing: {', '.join(map(str, context['properties']))}."
    return message


def _rate_limit_window(headers: httpx.Headers, body: Any) -> float | None:
    """Without Retry-After, wait out HubSpot's window: a second for the per-second limit, else
    the interval its X-HubSpot-RateLimit-Interval-Milliseconds header names."""
    if isinstance(body, dict) and body.get("policyName") == "SECONDLY":
        return 1.0
    interval = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
    try:
        return int(interval) / 1000 if interval else None
    except ValueError:
        return None
