"""The only module of the invoicing integration that talks to Stripe.

It wraps the official SDK's async methods and translates every Stripe exception into
Deputy's error vocabulary. The API key arrives per call (from the vault, via the call
context); it is never stored on the client, never logged and scrubbed from any message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import stripe

from bot.sdk import (
    HttpApi,
    IntegrationError,
    PermanentError,
    ReconnectNeeded,
    TransientError,
    error_for_status,
    retry_after_seconds,
    scrub,
)

INTEGRATION = "invoicing"
DEFAULT_API_URL = "https://api.stripe.com"
DEFAULT_TIMEOUT_SECONDS = 20.0
PAGE_SIZE = 100  # Stripe's largest list page

T = TypeVar("T")


class NoSuchObject(PermanentError):
    """Stripe answered 404 ``resource_missing``."""


class StripeInvoicingClient(HttpApi):
    """One per process; each call names the API key it acts with."""

    integration = INTEGRATION
    provider = "Stripe"
    credential_name = "api_key"
    default_api_url = DEFAULT_API_URL
    default_timeout = DEFAULT_TIMEOUT_SECONDS

    def _open(self) -> stripe.HTTPXClient:
        return stripe.HTTPXClient(timeout=self.timeout)

    async def _close(self, http: stripe.HTTPXClient) -> None:
        await http.close_async()

    def _stripe(self, api_key: str) -> stripe.StripeClient:
        # retries belong to the executor (it honours Retry-After and records attempts), so the
        # SDK must not retry on its own
        return stripe.StripeClient(
            api_key,
            base_addresses={"api": self.api_url},
            http_client=self.http(),
            max_network_retries=0,
        )

    async def _call(self, api_key: str, fn: Callable[[stripe.StripeClient], Awaitable[T]]) -> T:
        if not api_key:
            raise ReconnectNeeded(INTEGRATION)
        try:
            async with asyncio.timeout(self.timeout):
                return await fn(self._stripe(api_key))
        except TimeoutError as err:
            raise TransientError(
                f"{INTEGRATION}: Stripe did not answer within {self.timeout:g} s", sent=None
            ) from err
        except stripe.StripeError as err:
            raise translate(err, api_key) from None

    async def _create(
        self, api_key: str, service: Callable[[stripe.StripeClient], Any], params: dict[str, Any],
        key: str,
    ) -> dict[str, Any]:
        """A create (POST) carrying the step's idempotency key; ``service`` picks the resource."""
        return await self._object(
            api_key, lambda s: service(s).create_async(params, {"idempotency_key": key})
        )

    async def _object(
        self, api_key: str, fn: Callable[[stripe.StripeClient], Awaitable[stripe.StripeObject]]
    ) -> dict[str, Any]:
        return (await self._call(api_key, fn)).to_dict()

    # ---- customers ------------------------------------------------------------------

    async def list_customers(
        self, api_key: str, email: str | None, max_results: int
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"email": email} if email else {}
        return await self._list(api_key, lambda s: s.v1.customers.list_async, params, max_results)

    async def create_customer(self, api_key: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        return await self._create(api_key, lambda s: s.v1.customers, params, key)

    # ---- invoice items and invoices -------------------------------------------------

    async def create_invoice_item(self, api_key: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        return await self._create(api_key, lambda s: s.v1.invoice_items, params, key)

    async def create_invoice(self, api_key: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        return await self._create(api_key, lambda s: s.v1.invoices, params, key)

    async def retrieve_invoice(self, api_key: str, invoice_id: str) -> dict[str, Any]:
        return await self._object(api_key, lambda s: s.v1.invoices.retrieve_async(invoice_id))

    async def finalize_invoice(self, api_key: str, invoice_id: str, key: str) -> dict[str, Any]:
        # auto_advance false: Deputy decides when to send, as a separate approved step
        return await self._object(
            api_key,
            lambda s: s.v1.invoices.finalize_invoice_async(
                invoice_id, {"auto_advance": False}, {"idempotency_key": key}
            ),
        )

    async def send_invoice(self, api_key: str, invoice_id: str, key: str) -> dict[str, Any]:
        return await self._object(
            api_key,
            lambda s: s.v1.invoices.send_invoice_async(invoice_id, None, {"idempotency_key": key}),
        )

    async def void_invoice(self, api_key: str, invoice_id: str, key: str) -> dict[str, Any]:
        return await self._object(
            api_key,
            lambda s: s.v1.invoices.void_invoice_async(invoice_id, None, {"idempotency_key": key}),
        )

    async def invoice_exists(self, api_key: str, invoice_id: str) -> bool:
        try:
            await self.retrieve_invoice(api_key, invoice_id)
        except NoSuchObject:
            return False
        return True

    async def delete_draft_invoice(self, api_key: str, invoice_id: str) -> dict[str, Any]:
        # Stripe takes idempotency keys on POST only; deleting twice answers 404
        return await self._object(api_key, lambda s: s.v1.invoices.delete_async(invoice_id))

    async def list_invoices(
        self, api_key: str, params: dict[str, Any], max_results: int
    ) -> list[dict[str, Any]]:
        return await self._list(api_key, lambda s: s.v1.invoices.list_async, params, max_results)

    async def list_invoice_payments(
        self, api_key: str, params: dict[str, Any], max_results: int
    ) -> list[dict[str, Any]]:
        return await self._list(
            api_key, lambda s: s.v1.invoice_payments.list_async, params, max_results
        )

    async def _list(
        self,
        api_key: str,
        method: Callable[[stripe.StripeClient], Callable[..., Awaitable[Any]]],
        params: dict[str, Any],
        max_results: int,
    ) -> list[dict[str, Any]]:
        """Follow ``starting_after`` cursors until the list ends or ``max_results`` is reached."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while len(found) < max_results:
            page_params = {**params, "limit": min(PAGE_SIZE, max_results - len(found))}
            if cursor:
                page_params["starting_after"] = cursor

            def fetch(s: stripe.StripeClient, p: dict[str, Any] = page_params) -> Awaitable[Any]:
                return method(s)(p)

            page = await self._call(api_key, fetch)
            found.extend(item.to_dict() for item in page.data)
            if not page.has_more or not page.data:
                break
            cursor = page.data[-1].id
        return found[:max_results]


def translate(err: stripe.StripeError, api_key: str) -> IntegrationError:
    """Deputy's error for a Stripe exception; the message never carries the key."""
    message = scrub(err.user_message or "", api_key)
    headers = dict(err.headers or {})
    if isinstance(err, stripe.AuthenticationError | stripe.PermissionError):
        return ReconnectNeeded(INTEGRATION)
    if isinstance(err, stripe.RateLimitError):
        return TransientError(
            f"{INTEGRATION}: Stripe is rate limiting requests",
            retry_after=retry_after_seconds(headers),
            sent=False,
        )
    if isinstance(err, stripe.APIConnectionError):
        # the SDK wraps the HTTP library's error: only a failed connect certainly sent nothing
        never_connected = isinstance(
            err.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
        )
        if never_connected:
            return TransientError(
                f"{INTEGRATION}: could not reach Stripe ({message or 'connection failed'})",
                sent=False,
            )
        return TransientError(
            f"{INTEGRATION}: the connection to Stripe broke or timed out before it answered",
            sent=None,
        )
    # the SDK sets .code only on some error classes; the answer's error object always has it
    code = err.code or (err.error.code if err.error is not None else None)
    if code == "idempotency_key_in_use":
        # a retry met the first attempt still running at Stripe: that one may yet succeed, and
        # the same key will replay it, so this is worth retrying and must not fail the step
        return TransientError(
            f"{INTEGRATION}: Stripe is still processing an earlier attempt of this step "
            "(the request is still being processed); retrying with the same key",
            sent=False,  # this request was refused unprocessed; the earlier one runs on
        )
    if isinstance(err, stripe.IdempotencyError):
        return PermanentError(
            f"{INTEGRATION}: this step was already sent to Stripe with different arguments "
            f"({message})"
        )
    status = err.http_status or 500
    if status == 404:
        return NoSuchObject(f"{INTEGRATION}: not found: {message}" if message else f"{INTEGRATION}: not found")
    mapped = error_for_status(INTEGRATION, status, headers, message)
    return mapped or PermanentError(f"{INTEGRATION}: Stripe error: {message}")
