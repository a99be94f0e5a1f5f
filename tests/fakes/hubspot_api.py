"""A fake HubSpot CRM API on 127.0.0.1 following HubSpot's documented shapes, for contract tests.

Covered: CRM objects v3 (``/crm/v3/objects/{type}`` create, get, PATCH update, DELETE
archive, ``/search`` with ``query``, ``filterGroups``, ``properties``, ``limit`` ≤ 200 and the
``after`` cursor answered as ``{"total", "results", "paging": {"next": {"after", "link"}}}``),
records as ``{"id", "properties", "createdAt", "updatedAt", "archived"}`` with string property
values, associations v4 (``PUT …/associations/default/{toType}/{toId}``, ``DELETE``, and the
``GET …/associations/{toType}`` list with each link's ``associationTypes``), Bearer
tokens (401 ``INVALID_AUTHENTICATION`` otherwise), errors as ``{"status": "error", "message",
"correlationId", "category"}``, and the X-HubSpot-RateLimit-* headers on every answer.

It refuses what HubSpot refuses: a property the portal does not define (400
``VALIDATION_ERROR`` "Property values were not valid: [...]" listing each
``PROPERTY_DOESNT_EXIST``), a deal pipeline or stage that is not one of the pipeline's options
(``INVALID_OPTION``), a contact email that is not an address (``INVALID_EMAIL``), a value for
a property HubSpot computes (``READ_ONLY_VALUE``), a note without ``hs_timestamp`` ("Error
creating NOTE. Some required properties were not set."), and any read, update or archive of
an archived record (404 ``OBJECT_NOT_FOUND``: archiving moves it to the recycling bin). An
empty string clears a property, as in HubSpot. Reads ask for properties by name; undefined ones are left out of
the answer, as HubSpot does. Tests add custom properties and pipelines with
:meth:`define_property` and ``pipelines``.

Test controls (methods, not HTTP switches): :meth:`fail_next` answers the next N requests
with 429 (+ Retry-After when given) / 500 / 401.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.local_server import serve_locally

JSON = dict[str, Any]
TYPES = ("contacts", "companies", "deals", "notes")
# the properties HubSpot's free-text `query` searches, per object type
SEARCHABLE = {
    "contacts": ("firstname", "lastname", "email", "phone", "company"),
    "companies": ("name", "domain", "website", "phone"),
    "deals": ("dealname",),
    "notes": ("hs_note_body",),
}
DEFAULT_RETURNED = {
    "contacts": ("firstname", "lastname", "email"),
    "companies": ("name", "domain"),
    "deals": ("dealname", "amount", "closedate", "pipeline", "dealstage"),
    "notes": ("hs_note_body", "hs_timestamp"),
}
# the properties a new portal defines (HubSpot's default properties, abridged to those a CRM
# integration touches); anything else must be created in the portal first
_COMMON = "hs_object_id createdate lastmodifieddate hs_lastmodifieddate hubspot_owner_id"
DEFAULT_PROPERTIES = {
    "contacts": f"{_COMMON} firstname lastname email phone mobilephone company jobtitle website"
    " address city state zip country lifecyclestage hs_lead_status industry salutation fax",
    "companies": f"{_COMMON} name domain website phone address address2 city state zip country"
    " industry description numberofemployees annualrevenue type lifecyclestage timezone"
    " founded_year linkedin_company_page",
    "deals": f"{_COMMON} dealname amount deal_currency_code dealstage pipeline closedate dealtype"
    " description hs_priority hs_forecast_amount hs_next_step",
    "notes": f"{_COMMON} hs_note_body hs_timestamp hs_attachment_ids",
}
# properties HubSpot computes itself: a create or update that sets one is refused
READ_ONLY = frozenset({"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"})
# roughly what HubSpot accepts as a contact's email (one address, a dot in the domain)
EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
# the deal pipeline a new portal has, with its stage ids in order
DEFAULT_PIPELINES = {
    "default": (
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    )
}
# what each object type must be created with (HubSpot's required properties)
REQUIRED = {"notes": ("hs_timestamp",)}
SINGULAR = {"contacts": "CONTACT", "companies": "COMPANY", "deals": "DEAL", "notes": "NOTE"}
# HubSpot-defined default association type ids (unlabeled), from HubSpot's associations guide
DEFAULT_ASSOCIATION = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("notes", "contacts"): 202,
    ("notes", "companies"): 190,
    ("notes", "deals"): 214,
}
RATE_HEADERS = {
    "X-HubSpot-RateLimit-Daily": "250000",
    "X-HubSpot-RateLimit-Daily-Remaining": "249000",
    "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
    "X-HubSpot-RateLimit-Max": "100",
    "X-HubSpot-RateLimit-Remaining": "99",
    "X-HubSpot-RateLimit-Secondly": "10",
    "X-HubSpot-RateLimit-Secondly-Remaining": "9",
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _invalid(name: str, message: str, error: str) -> JSON:
    return {
        "isValid": False,
        "message": message,
        "error": error,
        "name": name,
        "localizedErrorMessage": message,
    }


class HubSpotError(Exception):
    def __init__(self, status: int, message: str, category: str, **extra: Any):
        super().__init__(message)
        body = {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": category,
            **extra,
        }
        self.response = web.json_response(body, status=status)


@dataclass
class Failure:
    status: int
    remaining: int
    retry_after: str | None
    after: int = 0  # requests answered normally before this failure starts


@dataclass
class FakeHubSpot:
    tokens: set[str] = field(default_factory=lambda: {"pat-na1-fake-token-0000"})
    records: dict[str, dict[str, JSON]] = field(default_factory=lambda: {t: {} for t in TYPES})
    # (from_type, from_id, to_type, to_id, association_type_id)
    associations: set[tuple[str, str, str, str, int]] = field(default_factory=set)
    properties: dict[str, set[str]] = field(
        default_factory=lambda: {t: set(names.split()) for t, names in DEFAULT_PROPERTIES.items()}
    )
    pipelines: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_PIPELINES))
    # association labels a portal admin defined (type id → label); other type ids are unlabeled
    labels: dict[int, str] = field(default_factory=dict)
    # every request as (method, path, JSON body or None)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    url: str = ""
    # seconds to wait before answering, to exercise client timeouts
    delay_seconds: float = 0.0
    _failures: list[Failure] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    _runner: web.AppRunner | None = None

    # ---- test controls ----------------------------------------------------------------

    def fail_next(
        self, status: int, count: int = 1, retry_after: str | None = None, after: int = 0
    ) -> None:
        """Answer ``count`` requests with ``status`` (429, 500, 401), after ``after`` good ones."""
        self._failures.append(Failure(status, count, retry_after, after))

    def define_property(self, object_type: str, name: str) -> None:
        """A custom property, as a portal admin creates one in HubSpot's settings."""
        self.properties[object_type].add(name)

    def add(self, object_type: str, **properties: str) -> JSON:
        """Put a record in place directly (test setup without HTTP)."""
        return self._create(object_type, {"properties": properties})

    # ---- server ---------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/crm/v3/objects/{type}/search", self._search)
        app.router.add_post("/crm/v3/objects/{type}", self._create_route)
        app.router.add_route("*", "/crm/v3/objects/{type}/{id}", self._object_route)
        app.router.add_put(
            "/crm/v4/objects/{ft}/{fid}/associations/default/{tt}/{tid}", self._associate
        )
        app.router.add_delete(
            "/crm/v4/objects/{ft}/{fid}/associations/{tt}/{tid}", self._disassociate
        )
        app.router.add_get("/crm/v4/objects/{ft}/{fid}/associations/{tt}", self._associations)
        self._runner, self.url = await serve_locally(app)
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.path, body))
        response: web.StreamResponse
        try:
            response = await self._gate(request) or await handler(request)
        except HubSpotError as err:
            response = err.response
        response.headers.update(RATE_HEADERS)
        return response

    async def _gate(self, request: web.Request) -> web.StreamResponse | None:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self._failures and self._failures[0].after > 0:
            self._failures[0].after -= 1
        elif self._failures:
            failure = self._failures[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.pop(0)
            if failure.status == 429:
                resp = web.json_response(
                    {
                        "status": "error",
                        "message": "You have reached your secondly limit.",
                        "errorType": "RATE_LIMIT",
                        "correlationId": str(uuid.uuid4()),
                        "policyName": "SECONDLY",
                    },
                    status=429,
                )
                if failure.retry_after:
                    resp.headers["Retry-After"] = failure.retry_after
                return resp
            if failure.status == 401:
                return self._unauthorized()
            raise HubSpotError(failure.status, "internal error", "INTERNAL_ERROR")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return None if token in self.tokens else self._unauthorized()

    def _unauthorized(self) -> web.Response:
        return HubSpotError(
            401,
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION",
        ).response

    # ---- objects --------------------------------------------------------------------

    def _type(self, request: web.Request, name: str = "type") -> str:
        object_type = request.match_info[name]
        if object_type not in TYPES:
            raise HubSpotError(
                400, f"Unable to infer object type from: {object_type}", "VALIDATION_ERROR"
            )
        return object_type

    def _get(self, object_type: str, record_id: str) -> JSON:
        record = self.records[object_type].get(record_id)
        if record is None or record["archived"]:
            raise HubSpotError(
                404,
                "Object not found.  objectId are usually numeric.",
                "OBJECT_NOT_FOUND",
                context={"id": [record_id]},
            )
        return record

    def _shown(self, object_type: str, record: JSON, wanted: list[str] | None) -> JSON:
        names = list(wanted or DEFAULT_RETURNED[object_type]) + [
            "hs_object_id",
            "createdate",
            "lastmodifieddate",
        ]
        defined = self.properties[object_type]
        props = {n: record["properties"].get(n) for n in names if n in defined}
        return {**record, "properties": props}

    def _check(self, object_type: str, props: JSON, current: JSON | None = None) -> None:
        """HubSpot's property validation: every problem in one 400, as HubSpot lists them."""
        problems = [
            _invalid(name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST")
            for name in props
            if name not in self.properties[object_type]
        ]
        problems += [
            _invalid(name, f'"{name}" is a read only property; its value cannot be set.',
                     "READ_ONLY_VALUE")
            for name in props
            if name in READ_ONLY
        ]
        email = props.get("email") if object_type == "contacts" else None
        if email and not EMAIL.fullmatch(str(email)):
            problems.append(_invalid("email", f"Email address {email} is invalid", "INVALID_EMAIL"))
        if object_type == "deals":
            pipeline = props.get("pipeline") or (current or {}).get("pipeline") or "default"
            stages = self.pipelines.get(pipeline)
            if stages is None:
                problems.append(
                    _invalid(
                        "pipeline",
                        f"{pipeline} was not one of the allowed options: [{', '.join(self.pipelines)}]",
                        "INVALID_OPTION",
                    )
                )
            elif props.get("dealstage") and props["dealstage"] not in stages:
                problems.append(
                    _invalid(
                        "dealstage",
                        f"{props['dealstage']} was not one of the allowed options: "
                        f"[{', '.join(stages)}]",
                        "INVALID_OPTION",
                    )
                )
        if problems:
            raise HubSpotError(
                400, f"Property values were not valid: {json.dumps(problems)}", "VALIDATION_ERROR"
            )

    def _create(self, object_type: str, body: JSON) -> JSON:
        props = {
            k: None if v is None else str(v) for k, v in (body.get("properties") or {}).items()
        }
        self._check(object_type, props)
        missing = [n for n in REQUIRED.get(object_type, ()) if not props.get(n)]
        if missing:
            raise HubSpotError(
                400,
                f"Error creating {SINGULAR[object_type]}. Some required properties were not set.",
                "VALIDATION_ERROR",
                context={"properties": missing},
            )
        email = (props.get("email") or "").lower()
        if object_type == "contacts" and email:
            for existing in self.records["contacts"].values():
                if (existing["properties"].get("email") or "").lower() == email:
                    raise HubSpotError(
                        409, f"Contact already exists. Existing ID: {existing['id']}", "CONFLICT"
                    )
        record_id = str(next(self._ids))
        now = _now()
        props.update(hs_object_id=record_id, createdate=now, lastmodifieddate=now)
        record = {
            "id": record_id,
            "properties": props,
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
        }
        for assoc in body.get("associations") or []:
            to_id = str(assoc["to"]["id"])
            to_type = next((t for t in TYPES if to_id in self.records[t]), None)
            if to_type is None:
                raise HubSpotError(
                    400, f"No object with id {to_id} to associate with", "VALIDATION_ERROR"
                )
            for spec in assoc.get("types") or []:
                self.associations.add(
                    (object_type, record_id, to_type, to_id, int(spec["associationTypeId"]))
                )
        self.records[object_type][record_id] = record
        return record

    async def _create_route(self, request: web.Request) -> web.Response:
        object_type = self._type(request)
        return web.json_response(self._create(object_type, await request.json()), status=201)

    async def _object_route(self, request: web.Request) -> web.Response:
        object_type = self._type(request)
        record = self._get(object_type, request.match_info["id"])
        if request.method == "GET":
            wanted = request.query.get("properties")
            return web.json_response(
                self._shown(object_type, record, wanted.split(",") if wanted else None)
            )
        if request.method == "PATCH":
            changes = (await request.json()).get("properties") or {}
            self._check(object_type, changes, record["properties"])
            record["properties"].update({k: str(v) for k, v in changes.items()})
            record["updatedAt"] = record["properties"]["lastmodifieddate"] = _now()
            return web.json_response(record)
        if request.method == "DELETE":
            record["archived"] = True
            return web.Response(status=204)
        raise HubSpotError(405, "Method not allowed", "VALIDATION_ERROR")

    async def _search(self, request: web.Request) -> web.Response:
        object_type = self._type(request)
        body = await request.json()
        limit = int(body.get("limit", 10))
        if limit > 200:
            raise HubSpotError(
                400,
                "Invalid input JSON: limit must be less than or equal to 200",
                "VALIDATION_ERROR",
            )
        found = [
            r
            for r in self.records[object_type].values()
            if not r["archived"] and self._matches(object_type, r, body)
        ]
        found.sort(key=lambda r: int(r["id"]))
        start = int(body.get("after") or 0)
        page = found[start : start + limit]
        answer: JSON = {
            "total": len(found),
            "results": [self._shown(object_type, r, body.get("properties")) for r in page],
        }
        if start + limit < len(found):
            after = str(start + limit)
            answer["paging"] = {
                "next": {
                    "after": after,
                    "link": f"{self.url}/crm/v3/objects/{object_type}/search?after={after}",
                }
            }
        return web.json_response(answer)

    def _matches(self, object_type: str, record: JSON, body: JSON) -> bool:
        props = record["properties"]
        query = (body.get("query") or "").lower()
        if query and not any(
            query in (props.get(p) or "").lower() for p in SEARCHABLE[object_type]
        ):
            return False
        groups = body.get("filterGroups") or []
        return not groups or any(
            all(self._filter(props, f) for f in g.get("filters", [])) for g in groups
        )

    @staticmethod
    def _filter(props: JSON, f: JSON) -> bool:
        value = props.get(f["propertyName"])
        target = str(f.get("value", ""))
        op = f["operator"]
        if op == "HAS_PROPERTY":
            return value not in (None, "")
        if op == "NOT_HAS_PROPERTY":
            return value in (None, "")
        if value is None:
            return op in ("NEQ", "NOT_CONTAINS_TOKEN")
        low = value.lower()
        if op in ("EQ", "NEQ"):
            return (low == target.lower()) == (op == "EQ")
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            return (target.lower().strip("*") in low) == (op == "CONTAINS_TOKEN")
        number, bound = float(value), float(target)
        return {
            "LT": number < bound,
            "LTE": number <= bound,
            "GT": number > bound,
            "GTE": number >= bound,
        }[op]

    # ---- associations v4 ------------------------------------------------------------

    async def _associate(self, request: web.Request) -> web.Response:
        ft, tt = self._type(request, "ft"), self._type(request, "tt")
        fid, tid = request.match_info["fid"], request.match_info["tid"]
        self._get(ft, fid)
        self._get(tt, tid)
        forward = DEFAULT_ASSOCIATION.get((ft, tt), 1)
        backward = DEFAULT_ASSOCIATION.get((tt, ft), 1)
        self.associations.add((ft, fid, tt, tid, forward))
        self.associations.add((tt, tid, ft, fid, backward))
        now = _now()
        spec = {"associationCategory": "HUBSPOT_DEFINED"}
        return web.json_response(
            {
                "status": "COMPLETE",
                "startedAt": now,
                "completedAt": now,
                "results": [
                    {
                        "from": {"id": fid},
                        "to": {"id": tid},
                        "associationSpec": {**spec, "associationTypeId": forward},
                    },
                    {
                        "from": {"id": tid},
                        "to": {"id": fid},
                        "associationSpec": {**spec, "associationTypeId": backward},
                    },
                ],
            }
        )

    async def _associations(self, request: web.Request) -> web.Response:
        """v4 list: the records of one type linked to a record, each with its association
        types (``category``, ``typeId``, ``label``), paged by ``after``."""
        ft, tt = self._type(request, "ft"), self._type(request, "tt")
        fid = request.match_info["fid"]
        self._get(ft, fid)
        limit = int(request.query.get("limit", 500))
        if limit > 500:
            raise HubSpotError(400, "limit must be less than or equal to 500", "VALIDATION_ERROR")
        linked: dict[str, list[JSON]] = {}
        for a_ft, a_fid, a_tt, a_tid, type_id in sorted(self.associations):
            if (a_ft, a_fid, a_tt) == (ft, fid, tt):
                label = self.labels.get(type_id)
                category = "USER_DEFINED" if label else "HUBSPOT_DEFINED"
                linked.setdefault(a_tid, []).append(
                    {"category": category, "typeId": type_id, "label": label})
        rows = [{"toObjectId": int(tid), "associationTypes": types}
                for tid, types in sorted(linked.items(), key=lambda item: int(item[0]))]
        start = int(request.query.get("after") or 0)
        answer: JSON = {"results": rows[start : start + limit]}
        if start + limit < len(rows):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return web.json_response(answer)

    async def _disassociate(self, request: web.Request) -> web.Response:
        ft, tt = self._type(request, "ft"), self._type(request, "tt")
        fid, tid = request.match_info["fid"], request.match_info["tid"]
        self.associations = {
            a for a in self.associations if a[:4] not in ((ft, fid, tt, tid), (tt, tid, ft, fid))
        }
        return web.Response(status=204)
