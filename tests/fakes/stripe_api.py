"""A fake Stripe API on 127.0.0.1 that speaks Stripe's wire format, for contract tests.

What it follows from Stripe's API reference: form-encoded request bodies with bracket
notation (``due_date[lt]=…``), objects with ``object`` and prefixed ``id`` (cus_, ii_, in_,
inpay_), list objects with ``has_more`` and ``starting_after`` cursors, newest first, errors as
``{"error": {"type", "message", "code", "param"}}``, Bearer API keys, and idempotency: a POST
repeating an Idempotency-Key with the same parameters replays the saved response (with
``Idempotent-Replayed: true``); with different parameters it answers 400 ``idempotency_error``.

It refuses what the real API refuses: a parameter an endpoint does not take (400
``parameter_unknown``, "Received unknown parameter: x"), a ``send_invoice`` invoice with
neither ``days_until_due`` nor ``due_date``, and a malformed ``Stripe-Version`` ("Invalid
Stripe API version: …"). A request that fails validation (any 4xx) or meets another request
with the same key still in flight (409 ``idempotency_key_in_use``) is not saved under its
Idempotency-Key, so a corrected retry runs; 2xx and 5xx answers are saved, as Stripe does.
The answer is in the requested API version (echoed in ``Stripe-Version``); without the header
the account's default version applies, and ``/v1/invoice_payments`` exists only from
``2025-03-31.basil``.

Test controls (methods, not HTTP switches): :meth:`fail_next` answers the next N requests
with 429/500/401; :meth:`pay` records a payment; state is readable in ``customers`` etc.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web

from tests.fakes.local_server import serve_locally

JSON = dict[str, Any]


def parse_form(pairs: list[tuple[str, str]]) -> JSON:
    """Stripe's bracket notation (``a[b][0]=x``) into nested dicts and lists."""
    out: JSON = {}
    for raw_key, value in pairs:
        *path, last = re.findall(r"[^\[\]]+", raw_key)
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return _lists(out)


def _lists(node: Any) -> Any:
    """Dicts keyed "0", "1", … (how Stripe encodes arrays) become lists."""
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_lists(node[k]) for k in sorted(node, key=int)]
    return {k: _lists(v) for k, v in node.items()}


# the first API version with the invoice_payments resource (the "basil" release)
INVOICE_PAYMENTS_SINCE = "2025-03-31"
VERSION_KEY = web.RequestKey("stripe_version", str)
# Stripe names versions by date, with the release's name from 2024-09-30 ("acacia") on
VERSION_FORMAT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:\.([a-z]+))?")

LIST = frozenset({"limit", "starting_after", "ending_before", "expand"})
RANGE = frozenset({"gt", "gte", "lt", "lte"})
# the parameters each endpoint takes, from Stripe's API reference; anything else is refused
ACCEPTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "customers"): LIST | {"email", "created", "test_clock"},
    ("POST", "customers"): frozenset(
        "address balance cash_balance description email expand invoice_prefix invoice_settings"
        " metadata name next_invoice_sequence payment_method phone preferred_locales shipping"
        " source tax tax_exempt tax_id_data test_clock".split()
    ),
    ("GET", "invoiceitems"): LIST | {"created", "customer", "invoice", "pending"},
    ("POST", "invoiceitems"): frozenset(
        "amount currency customer description discountable discounts expand invoice metadata"
        " period price_data pricing quantity subscription tax_behavior tax_code tax_rates"
        " unit_amount_decimal".split()
    ),
    ("GET", "invoices"): LIST
    | {"collection_method", "created", "customer", "due_date", "status", "subscription"},
    ("POST", "invoices"): frozenset(
        "account_tax_ids application_fee_amount auto_advance automatic_tax"
        " automatically_finalizes_at collection_method currency custom_fields customer"
        " days_until_due default_payment_method default_source default_tax_rates description"
        " discounts due_date effective_at expand footer from_invoice issuer metadata number"
        " on_behalf_of payment_settings pending_invoice_items_behavior rendering shipping_cost"
        " shipping_details statement_descriptor subscription transfer_data".split()
    ),
    ("GET", "invoice_payments"): LIST | {"created", "invoice", "payment", "status"},
    ("GET", "customers/*"): frozenset({"expand"}),
    ("GET", "invoices/*"): frozenset({"expand"}),
    ("DELETE", "invoices/*"): frozenset(),
    ("POST", "invoices/*/finalize"): frozenset({"auto_advance", "expand"}),
    ("POST", "invoices/*/send"): frozenset({"expand"}),
    ("POST", "invoices/*/void"): frozenset({"expand"}),
}
# nested parameters whose keys are checked too (range filters on lists)
NESTED: dict[str, frozenset[str]] = {"created": RANGE, "due_date": RANGE}


def _error(
    status: int, type_: str, message: str, code: str | None = None, param: str | None = None
) -> web.Response:
    error: JSON = {"type": type_, "message": message}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    request_id = f"req_fake{time.time_ns()}"
    error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
    body = {"error": error}
    return web.json_response(body, status=status, headers={"Request-Id": request_id})


class StripeError(Exception):
    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        code: str | None = None,
        param: str | None = None,
    ):
        super().__init__(message)
        self.response = _error(status, type_, message, code, param)


def _int(params: JSON, name: str, required: bool = False) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Missing required param: {name}.",
                "parameter_missing",
                name,
            )
        return None
    if not re.fullmatch(r"-?\d+", str(value)):
        raise StripeError(
            400,
            "invalid_request_error",
            f"Invalid integer: {value}",
            "parameter_invalid_integer",
            name,
        )
    return int(value)


def _valid_version(version: str) -> bool:
    match = VERSION_FORMAT.fullmatch(version)
    if not match:
        return False
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    # from "acacia" (2024-09-30) on, every version carries its release's name
    return bool(match[4]) == (version[:10] >= "2024-09-30")


def _unknown(method: str, tail: str, params: JSON) -> list[str]:
    """The parameters an endpoint does not take, in Stripe's bracket notation."""
    parts = tail.strip("/").split("/")
    route = "/".join(p if n != 1 else "*" for n, p in enumerate(parts))
    accepted = ACCEPTED.get((method, route))
    if accepted is None:
        return []  # not an endpoint: the dispatcher answers 404
    unknown: list[str] = []
    for name, value in params.items():
        if name not in accepted:
            unknown.append(name)
        elif name in NESTED and isinstance(value, dict):
            unknown += [f"{name}[{sub}]" for sub in value if sub not in NESTED[name]]
    return unknown


@dataclass
class Failure:
    status: int
    remaining: int
    retry_after: str | None


@dataclass
class FakeStripe:
    api_keys: set[str] = field(default_factory=lambda: {"sk_test_fake_key_1234567890"})
    customers: dict[str, JSON] = field(default_factory=dict)
    invoice_items: dict[str, JSON] = field(default_factory=dict)
    invoices: dict[str, JSON] = field(default_factory=dict)
    invoice_payments: dict[str, JSON] = field(default_factory=dict)
    # every request as (method, path, Idempotency-Key or None), for tests to inspect
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    url: str = ""
    # seconds to wait before answering, to exercise client timeouts
    delay_seconds: float = 0.0
    # when set to an unset event, every request waits for it before answering: a test holds
    # a request in flight for as long as it needs, however slow the machine is
    hold: asyncio.Event | None = None
    # set once a request is waiting on ``hold``
    held: asyncio.Event = field(default_factory=asyncio.Event)
    _failures: list[Failure] = field(default_factory=list)
    # the account's default API version, used when a request sends no Stripe-Version
    api_version: str = "2024-06-20"
    # the API version each authenticated request was answered in
    versions: list[str] = field(default_factory=list)
    _idempotency: dict[tuple[str, str], tuple[str, int, str]] = field(default_factory=dict)
    _in_flight: set[tuple[str, str]] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    # ---- test controls ----------------------------------------------------------------

    def fail_next(self, status: int, count: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` (429, 500 or 401)."""
        self._failures.append(Failure(status, count, retry_after))

    def pay(self, invoice_id: str) -> JSON:
        """The customer pays an open invoice in full (as a card payment would)."""
        inv = self.invoices[invoice_id]
        now = int(time.time())
        inv.update(status="paid", amount_paid=inv["amount_due"], amount_remaining=0)
        inv["status_transitions"]["paid_at"] = now
        pay = {
            "id": self._id("inpay"),
            "object": "invoice_payment",
            "invoice": invoice_id,
            "amount_paid": inv["amount_due"],
            "amount_requested": inv["amount_due"],
            "currency": inv["currency"],
            "is_default": True,
            "livemode": False,
            "status": "paid",
            "created": now,
            "payment": {"type": "payment_intent", "payment_intent": self._id("pi")},
            "status_transitions": {"paid_at": now, "canceled_at": None},
        }
        self.invoice_payments[pay["id"]] = pay
        return pay

    # ---- server ---------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_route("*", "/v1/{tail:.*}", self._dispatch)
        self._runner, self.url = await serve_locally(app)
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def _id(self, prefix: str) -> str:
        return f"{prefix}_Fake{next(self._ids):08d}"

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        self.requests.append((request.method, request.path, key))
        lock = (request.headers.get("Authorization", ""), key or "")
        if request.method != "POST" or not key:
            return await self._answer(request, handler, key)
        if lock in self._in_flight:
            # a retry that arrives while the first request is still being processed
            return _error(
                409,
                "invalid_request_error",
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                f"going through): {key}. Please try again later.",
                "idempotency_key_in_use",
            )
        self._in_flight.add(lock)
        try:
            return await self._answer(request, handler, key)
        finally:
            self._in_flight.discard(lock)

    async def _answer(
        self, request: web.Request, handler: Any, key: str | None
    ) -> web.StreamResponse:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.hold is not None:
            self.held.set()
            await self.hold.wait()
        if self._failures:
            failure = self._failures[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.pop(0)
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            kinds = {401: "invalid_request_error", 429: "invalid_request_error"}
            resp = _error(
                failure.status,
                kinds.get(failure.status, "api_error"),
                f"Fake failure {failure.status}.",
                "rate_limit" if failure.status == 429 else None,
            )
            resp.headers.update(headers)
            return resp
        auth = request.headers.get("Authorization", "")
        api_key = auth.removeprefix("Bearer ").strip()
        if api_key not in self.api_keys:
            shown = f"{api_key[:8]}****{api_key[-4:]}" if api_key else ""
            return _error(401, "invalid_request_error", f"Invalid API Key provided: {shown}")
        asked = request.headers.get("Stripe-Version")
        if asked is not None and not _valid_version(asked):
            return _error(400, "invalid_request_error", f"Invalid Stripe API version: {asked}")
        version = asked or self.api_version
        request[VERSION_KEY] = version
        self.versions.append(version)
        response = await self._validated(request, handler, api_key, key)
        response.headers["Stripe-Version"] = version
        return response

    async def _validated(
        self, request: web.Request, handler: Any, api_key: str, key: str | None
    ) -> web.StreamResponse:
        params = await self._params(request)
        unknown = _unknown(request.method, request.match_info.get("tail", ""), params)
        if unknown:
            many = "s" if len(unknown) > 1 else ""
            return _error(
                400,
                "invalid_request_error",
                f"Received unknown parameter{many}: {', '.join(unknown)}",
                "parameter_unknown",
                unknown[0],
            )
        if request.method != "POST" or not key:
            return await handler(request)
        fingerprint = request.method + request.path + json.dumps(params, sort_keys=True)
        saved = self._idempotency.get((api_key, key))
        if saved:
            if saved[0] != fingerprint:
                return _error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '"
                    + key
                    + "' if you meant to execute a different request.",
                )
            return web.Response(
                status=saved[1],
                text=saved[2],
                content_type="application/json",
                headers={"Idempotent-Replayed": "true", "Idempotency-Key": key},
            )
        response = await handler(request)
        assert isinstance(response, web.Response) and isinstance(response.text, str)
        # Stripe saves a result only once the endpoint has begun executing: a request refused
        # for its parameters or its state (4xx) is not saved, so a corrected retry runs
        if not 400 <= response.status < 500:
            self._idempotency[(api_key, key)] = (fingerprint, response.status, response.text)
        response.headers["Idempotency-Key"] = key
        return response

    @staticmethod
    async def _params(request: web.Request) -> JSON:
        if request.method == "POST":
            return parse_form(list((await request.post()).items()))  # type: ignore[arg-type]
        return parse_form(list(request.query.items()))

    async def _dispatch(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        parts = request.match_info["tail"].strip("/").split("/")
        if parts[0] == "invoice_payments" and request[VERSION_KEY] < INVOICE_PAYMENTS_SINCE:
            return StripeError(
                404,
                "invalid_request_error",
                f"Unrecognized request URL ({request.method}: {request.path}).",
            ).response
        route = {
            ("GET", "customers"): self._list_customers,
            ("POST", "customers"): self._create_customer,
            ("POST", "invoiceitems"): self._create_item,
            ("GET", "invoiceitems"): self._list_items,
            ("POST", "invoices"): self._create_invoice,
            ("GET", "invoices"): self._list_invoices,
            ("GET", "invoice_payments"): self._list_payments,
        }
        try:
            if len(parts) == 1 and (request.method, parts[0]) in route:
                return web.json_response(route[(request.method, parts[0])](params, request.path))
            if parts[0] in ("customers", "invoices") and len(parts) >= 2:
                return web.json_response(self._on_object(request.method, parts, params))
            raise StripeError(
                404,
                "invalid_request_error",
                f"Unrecognized request URL ({request.method}: {request.path}).",
            )
        except StripeError as err:
            return err.response

    # ---- resources ------------------------------------------------------------------

    def _listing(self, objects: list[JSON], params: JSON, path: str) -> JSON:
        ordered = sorted(objects, key=lambda o: o["id"], reverse=True)  # newest first
        after = params.get("starting_after")
        if after:
            ids = [o["id"] for o in ordered]
            ordered = ordered[ids.index(after) + 1 :] if after in ids else []
        limit = _int(params, "limit") or 10
        if not 1 <= limit <= 100:
            raise StripeError(
                400,
                "invalid_request_error",
                "This value must be less than or equal to 100.",
                "parameter_invalid_integer",
                "limit",
            )
        return {
            "object": "list",
            "url": path,
            "has_more": len(ordered) > limit,
            "data": ordered[:limit],
        }

    def _list_customers(self, params: JSON, path: str) -> JSON:
        found = [
            c
            for c in self.customers.values()
            if not params.get("email") or c["email"] == params["email"]
        ]
        return self._listing(found, params, path)

    def _create_customer(self, params: JSON, path: str) -> JSON:
        cus = {
            "id": self._id("cus"),
            "object": "customer",
            "name": params.get("name"),
            "email": params.get("email"),
            "description": params.get("description"),
            "created": int(time.time()),
            "livemode": False,
            "metadata": params.get("metadata", {}),
        }
        self.customers[cus["id"]] = cus
        return cus

    def _customer(self, customer_id: Any) -> JSON:
        if customer_id not in self.customers:
            raise StripeError(
                400,
                "invalid_request_error",
                f"No such customer: '{customer_id}'",
                "resource_missing",
                "customer",
            )
        return self.customers[customer_id]

    def _create_item(self, params: JSON, path: str) -> JSON:
        self._customer(params.get("customer"))
        amount = _int(params, "amount", required=True)
        item = {
            "id": self._id("ii"),
            "object": "invoiceitem",
            "customer": params["customer"],
            "amount": amount,
            "currency": params.get("currency"),
            "description": params.get("description"),
            "invoice": params.get("invoice"),
            "date": int(time.time()),
            "livemode": False,
            "quantity": 1,
        }
        if item["invoice"]:
            self._draft(item["invoice"])
        self.invoice_items[item["id"]] = item
        if item["invoice"]:
            self._recompute(self.invoices[item["invoice"]])
        return item

    def _list_items(self, params: JSON, path: str) -> JSON:
        return self._listing(list(self.invoice_items.values()), params, path)

    def _create_invoice(self, params: JSON, path: str) -> JSON:
        cus = self._customer(params.get("customer"))
        method = params.get("collection_method", "charge_automatically")
        if method not in ("charge_automatically", "send_invoice"):
            raise StripeError(
                400,
                "invalid_request_error",
                "Invalid collection_method: must be one of charge_automatically or send_invoice",
                "parameter_invalid_string",
                "collection_method",
            )
        terms = [n for n in ("days_until_due", "due_date") if params.get(n) is not None]
        if method == "send_invoice" and not terms:
            raise StripeError(
                400,
                "invalid_request_error",
                "Missing required param: days_until_due. Invoices with collection_method "
                "'send_invoice' need either days_until_due or due_date.",
                "parameter_missing",
                "days_until_due",
            )
        if method != "send_invoice" and terms:
            raise StripeError(
                400,
                "invalid_request_error",
                f"You can only set `{terms[0]}` on invoices with collection_method "
                "'send_invoice'.",
                param=terms[0],
            )
        if len(terms) == 2:
            raise StripeError(
                400,
                "invalid_request_error",
                "You cannot set both `days_until_due` and `due_date`.",
                param="due_date",
            )
        inv = {
            "id": self._id("in"),
            "object": "invoice",
            "customer": cus["id"],
            "customer_email": cus["email"],
            "status": "draft",
            "collection_method": method,
            "currency": params.get("currency", "usd"),
            "description": params.get("description"),
            "days_until_due": _int(params, "days_until_due"),
            "due_date": _int(params, "due_date"),
            "number": None,
            "hosted_invoice_url": None,
            "created": int(time.time()),
            "livemode": False,
            "auto_advance": params.get("auto_advance") == "true",
            "amount_paid": 0,
            "status_transitions": {"finalized_at": None, "paid_at": None, "voided_at": None},
        }
        self.invoices[inv["id"]] = inv
        if params.get("pending_invoice_items_behavior") == "include":
            for item in self.invoice_items.values():
                if (
                    item["customer"] == cus["id"]
                    and item["invoice"] is None
                    and item["currency"] == inv["currency"]
                ):
                    item["invoice"] = inv["id"]
        self._recompute(inv)
        return inv

    def _recompute(self, inv: JSON) -> None:
        lines = [i for i in self.invoice_items.values() if i["invoice"] == inv["id"]]
        total = sum(i["amount"] for i in lines)
        inv.update(
            subtotal=total,
            total=total,
            amount_due=total,
            amount_remaining=total - inv["amount_paid"],
            lines={
                "object": "list",
                "data": lines,
                "has_more": False,
                "url": f"/v1/invoices/{inv['id']}/lines",
            },
        )

    def _draft(self, invoice_id: str) -> JSON:
        inv = self._invoice(invoice_id)
        if inv["status"] != "draft":
            raise StripeError(
                400,
                "invalid_request_error",
                f"This invoice is {inv['status']}; it must be a draft.",
                "invoice_not_editable",
            )
        return inv

    def _invoice(self, invoice_id: str) -> JSON:
        if invoice_id not in self.invoices:
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such invoice: '{invoice_id}'",
                "resource_missing",
                "id",
            )
        return self.invoices[invoice_id]

    def _list_invoices(self, params: JSON, path: str) -> JSON:
        found = list(self.invoices.values())
        if params.get("customer"):
            found = [i for i in found if i["customer"] == params["customer"]]
        if params.get("status"):
            found = [i for i in found if i["status"] == params["status"]]
        due = params.get("due_date")
        if isinstance(due, dict) and "lt" in due:
            found = [
                i for i in found if i["due_date"] is not None and i["due_date"] < int(due["lt"])
            ]
        return self._listing(found, params, path)

    def _list_payments(self, params: JSON, path: str) -> JSON:
        found = [
            p
            for p in self.invoice_payments.values()
            if (not params.get("invoice") or p["invoice"] == params["invoice"])
            and (not params.get("status") or p["status"] == params["status"])
        ]
        return self._listing(found, params, path)

    def _on_object(self, method: str, parts: list[str], params: JSON) -> JSON:
        if parts[0] == "customers":
            if method == "GET" and len(parts) == 2 and parts[1] in self.customers:
                return self.customers[parts[1]]
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such customer: '{parts[1]}'",
                "resource_missing",
                "id",
            )
        inv = self._invoice(parts[1])
        verb = parts[2] if len(parts) > 2 else ""
        now = int(time.time())
        if method == "GET" and not verb:
            return inv
        if method == "DELETE" and not verb:
            self._draft(inv["id"])
            del self.invoices[inv["id"]]
            for item in self.invoice_items.values():
                if item["invoice"] == inv["id"]:
                    item["invoice"] = None
            return {"id": inv["id"], "object": "invoice", "deleted": True}
        if method == "POST" and verb == "finalize":
            self._draft(inv["id"])
            inv.update(
                status="open",
                number=f"FAKE-{len(self.invoices):04d}",
                hosted_invoice_url=f"{self.url}/i/{inv['id']}",
            )
            inv["status_transitions"]["finalized_at"] = now
            if inv["collection_method"] == "send_invoice" and inv["due_date"] is None:
                inv["due_date"] = now + 86400 * (inv["days_until_due"] or 30)
            return inv
        if method == "POST" and verb == "send":
            if inv["status"] != "open" or inv["collection_method"] != "send_invoice":
                raise StripeError(
                    400,
                    "invalid_request_error",
                    "You can only manually send an invoice if its collection method is 'send_invoice' and it is open.",
                    "invoice_not_open",
                )
            inv["sent"] = inv.get("sent", 0) + 1  # not a Stripe field: lets tests count emails
            return inv
        if method == "POST" and verb == "void":
            if inv["status"] not in ("open", "uncollectible"):
                raise StripeError(
                    400,
                    "invalid_request_error",
                    f"You can only void open invoices; this one is {inv['status']}.",
                    "invoice_not_open",
                )
            inv["status"] = "void"
            inv["status_transitions"]["voided_at"] = now
            return inv
        raise StripeError(
            404,
            "invalid_request_error",
            f"Unrecognized request URL ({method}: /v1/{'/'.join(parts)}).",
        )
