"""What every integration client for one HTTP API needs, written once.

An :class:`HttpApi` holds the API's base URL, the timeout of one call, the process clock and
one pooled HTTP client, opened on first use and closed by ``aclose()`` (the registry closes
every client at shutdown). Credentials never live on it: each call reads the secret it acts
with from its :class:`CallContext` (:meth:`HttpApi.credential`), and :func:`scrub` keeps that
secret out of any text a provider echoes back.

A subclass names its integration, provider, credential field and default URL. One that talks
through a vendor SDK instead of httpx overrides ``_open``/``_close`` and keeps the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from bot.errors import NotConnected, TransientError
from bot.registry.contract import CallContext, IntegrationEnv

if TYPE_CHECKING:
    import httpx


def system_now() -> datetime:
    return datetime.now(UTC)


def scrub(text: str, *secrets: str) -> str:
    """``text`` with every secret replaced, so a provider echoing a key cannot leak it."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


class HttpApi:
    """One per process; each call names the credential it acts with."""

    integration: ClassVar[str]  # the integration's name, as errors name it
    provider: ClassVar[str]  # who answers ("HubSpot"), as messages name it
    credential_name: ClassVar[str]  # the vault field every call acts with
    default_api_url: ClassVar[str]
    default_timeout: ClassVar[float] = 20.0

    def __init__(
        self,
        api_url: str | None = None,
        timeout: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.api_url = (api_url or self.default_api_url).rstrip("/")
        self.timeout = self.default_timeout if timeout is None else timeout
        # the process clock (tests inject a fixed one); "now" decides what is overdue
        self.now: Callable[[], datetime] = clock or system_now
        self._http: Any = None

    @classmethod
    def from_env(cls, env: IntegrationEnv, api_url: str | None = None) -> Self:
        """The client the process uses: its clock, and a timeout that ends inside the step's."""
        step_timeout = float(env.settings.step_timeout_seconds)
        return cls(api_url=api_url, timeout=min(cls.default_timeout, step_timeout), clock=env.clock)

    def credential(self, ctx: CallContext) -> str:
        """The secret this call acts with; NotConnected when the user has not given one."""
        value = ctx.credentials.get(self.credential_name, "")
        if not value:
            raise NotConnected(self.integration)
        return value

    # ---- the pooled connection ----------------------------------------------------------

    def http(self) -> Any:
        if self._http is None:
            self._http = self._open()
        return self._http

    def _open(self) -> Any:
        # lazy: integrations' settings import this module at every start, and httpx's import
        # (its command-line entry point included) costs ~0.15 s that `deputy runs list` would pay
        import httpx

        return httpx.AsyncClient(base_url=self.api_url, timeout=self.timeout)

    async def _close(self, http: Any) -> None:
        await http.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await self._close(http)

    async def send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """One request under the call's timeout. A transport failure becomes a TransientError
        whose ``sent`` says whether the request may have reached the provider; an answer of
        any status is returned for the caller to read."""
        import httpx  # lazy (see _open); already loaded by the time a request is sent

        try:
            async with asyncio.timeout(self.timeout):
                return await self.http().request(
                    method, path, json=json, params=params, headers=headers
                )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
            # refused, unresolved, TLS handshake failed, or no connection free: nothing was sent
            raise TransientError(
                f"{self.integration}: could not reach {self.provider} ({type(err).__name__})",
                sent=False,
            ) from err
        except (TimeoutError, httpx.TimeoutException) as err:
            raise TransientError(
                f"{self.integration}: {self.provider} did not answer within {self.timeout:g} s",
                sent=None,
            ) from err
        except httpx.TransportError as err:
            # the connection broke after the request may have gone out
            raise TransientError(
                f"{self.integration}: the connection to {self.provider} broke "
                f"({type(err).__name__})",
                sent=None,
            ) from err
