"""A fake Stripe API on 127.0.0.1 that speaks Stripe's wire format, for contract tests.

What it follows from Stripe's API reference: form-encoded request bodies with bracket
notation (``due_date[lt]=…``), objects with ``object`` and prefixed ``id`` (cus_, ii_, in_,
inpay_), list objects with ``has_more`` and ``starting_after`` cursors, newest first, errors as
``{"error": {"type", "message", "code", "param"}}``, Bearer API keys, and idempotency: a POST
repeating an Idempotency-Key with the same parameters replays the saved response (with
``Idempotent-Replayed: true``); with different parameters it answers 400 ``idempotency_error``.

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
from typing import Any

from aiohttp import web

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


def _error(
    status: int, type_: str, message: str, code: str | None = None, param: str | None = None
) -> web.Response:
    body = {"error": {"type": type_, "message": message, "code": code, "param": param}}
    return web.json_response(
        body, status=status, headers={"Request-Id": f"req_fake{time.time_ns()}"}
    )


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
    _failures: list[Failure] = field(default_factory=list)
    _idempotency: dict[tuple[str, str], tuple[str, int, str]] = field(default_factory=dict)
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
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
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
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
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
        if request.method != "POST" or not key:
            return await handler(request)
        params = parse_form(list((await request.post()).items()))  # type: ignore[arg-type]
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
                headers={"Idempotent-Replayed": "true"},
            )
        response = await handler(request)
        assert isinstance(response, web.Response) and isinstance(response.text, str)
        self._idempotency[(api_key, key)] = (fingerprint, response.status, response.text)
        response.headers["Idempotency-Key"] = key
        return response

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            params = parse_form(list((await request.post()).items()))  # type: ignore[arg-type]
        else:
            params = parse_form(list(request.query.items()))
        parts = request.match_info["tail"].strip("/").split("/")
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
        inv = {
            "id": self._id("in"),
            "object": "invoice",
            "customer": cus["id"],
            "customer_email": cus["email"],
            "status": "draft",
            "collection_method": params.get("collection_method", "charge_automatically"),
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
