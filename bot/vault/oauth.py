"""OAuth 2 connections: authorization code with PKCE (S256), refresh, revoke. HubSpot first.

A connect link carries a random ``state`` bound server-side to the person who asked (see
:mod:`bot.store.oauth_states`: single use, ten minutes). The callback exchanges the code, with
the PKCE verifier, for tokens that go straight into the vault as the credential's fields::

    access_token · refresh_token · expires_at (Unix seconds) · auth = "oauth2"

Before a call the executor asks :func:`usable_credentials`, which refreshes an access token
that expires within :data:`REFRESH_MARGIN` and hands the integration the access token only.

HTTP goes through aiohttp, which logs no request URLs: HubSpot's revoke endpoint puts the
refresh token in the path, and httpx would log that path at INFO.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from pydantic import SecretStr

from bot.errors import PermanentError, ReconnectNeeded, SettingsError, TransientError
from bot.vault.envelope import SecretFields
from bot.vault.store import CredentialStore

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/callback"
STATE_TTL = timedelta(minutes=10)
# refresh this long before expiry, so a token never lapses in the middle of a step
REFRESH_MARGIN = timedelta(minutes=5)
HTTP_TIMEOUT_SECONDS = 15.0
HUBSPOT_AUTH_URL = "https://app.hubspot.com/oauth/authorize"
HUBSPOT_TOKEN_URL = "https://api.hubapi.com/oauth/v1/token"
# what the crm integration's actions need (README: Integrations)
HUBSPOT_SCOPES = (
    "crm.objects.contacts.read", "crm.objects.contacts.write",
    "crm.objects.companies.read", "crm.objects.companies.write",
    "crm.objects.deals.read", "crm.objects.deals.write",
)
ACCESS_TOKEN, REFRESH_TOKEN, EXPIRES_AT, AUTH = "access_token", "refresh_token", "expires_at", "auth"
_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


class OAuthRefused(PermanentError):
    """The provider refused a code or a refresh token (4xx). Carries the provider's error code
    only, never its message, which may echo what was sent."""


class RefreshFailed(ReconnectNeeded):
    """The access token expired and the provider would not renew it: the person must reconnect."""

    def __init__(self, integration: str) -> None:
        super().__init__(integration)
        self.args = (f"your {integration} connection has expired and could not be renewed. "
                     f"Reconnect it with `connect {integration}`.",)


@dataclass(frozen=True)
class OAuthProvider:
    integration: str
    title: str
    client_id: str
    client_secret: SecretStr = field(repr=False)
    auth_url: str
    token_url: str
    redirect_uri: str
    scopes: tuple[str, ...]
    # DELETE {revoke_url}/{refresh token}; None where the provider offers no revocation
    revoke_url: str | None


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime

    def fields(self) -> dict[str, str]:
        return {ACCESS_TOKEN: self.access_token, REFRESH_TOKEN: self.refresh_token,
                EXPIRES_AT: str(int(self.expires_at.timestamp())), AUTH: "oauth2"}


def provider_for(settings: Any, integration: str) -> OAuthProvider | None:
    """The OAuth set-up for ``integration``, or None when it connects with a pasted token.

    Settings are read with getattr so this works before bot.settings declares them."""
    if integration != "crm":
        return None
    client_id = str(getattr(settings, "hubspot_client_id", "") or "")
    if not client_id:
        return None
    public_url = str(getattr(settings, "public_url", "") or "").rstrip("/")
    if not public_url:
        raise SettingsError("DEPUTY_PUBLIC_URL: needed for OAuth (the address people's browsers "
                            "reach `deputy serve` at, e.g. https://deputy.example.com)")
    secret = getattr(settings, "hubspot_client_secret", None)
    token_url = str(getattr(settings, "hubspot_token_url", "") or HUBSPOT_TOKEN_URL)
    return OAuthProvider(
        integration="crm", title="HubSpot", client_id=client_id,
        client_secret=secret if isinstance(secret, SecretStr) else SecretStr(str(secret or "")),
        auth_url=str(getattr(settings, "hubspot_auth_url", "") or HUBSPOT_AUTH_URL),
        token_url=token_url, redirect_uri=public_url + CALLBACK_PATH, scopes=HUBSPOT_SCOPES,
        revoke_url=token_url.rsplit("/", 1)[0] + "/refresh-tokens")


def new_state() -> str:
    return secrets.token_urlsafe(32)


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) as RFC 7636 defines them: 43–128 unreserved characters."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(provider: OAuthProvider, state: str, challenge: str) -> str:
    query = urlencode({
        "client_id": provider.client_id, "redirect_uri": provider.redirect_uri,
        "scope": " ".join(provider.scopes), "state": state, "response_type": "code",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    return f"{provider.auth_url}?{query}"


async def exchange_code(provider: OAuthProvider, code: str, verifier: str, now: datetime) -> TokenSet:
    return await _token_request(provider, {
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": provider.redirect_uri}, now, previous_refresh=None)


async def refresh(provider: OAuthProvider, refresh_token: str, now: datetime) -> TokenSet:
    return await _token_request(provider, {
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "redirect_uri": provider.redirect_uri}, now, previous_refresh=refresh_token)


async def revoke(provider: OAuthProvider, fields: Mapping[str, str]) -> bool:
    """Ask the provider to forget the refresh token. True when it confirmed."""
    token = fields.get(REFRESH_TOKEN)
    if provider.revoke_url is None or not token:
        return False
    import aiohttp  # here, not at the top: the shell starts without loading aiohttp

    try:
        async with _session() as http, http.delete(f"{provider.revoke_url}/{token}") as response:
            if response.status < 300 or response.status == 404:  # 404: already gone
                return True
            log.warning("oauth: %s answered %d to a revoke", provider.title, response.status)
    except (aiohttp.ClientError, TimeoutError) as err:
        log.warning("oauth: could not reach %s to revoke (%s)", provider.title, type(err).__name__)
    return False


def is_oauth(fields: Mapping[str, str]) -> bool:
    return fields.get(AUTH) == "oauth2" and REFRESH_TOKEN in fields


async def usable_credentials(settings: Any, vault: CredentialStore, owner_key: str,
                             integration: str, fields: SecretFields, now: datetime) -> SecretFields:
    """What one call may use: pasted credentials as they are; for OAuth, a fresh access token
    (refreshed and stored when it expires within REFRESH_MARGIN) and nothing else."""
    if not is_oauth(fields):
        return fields
    expires_at = _expiry(fields)
    if expires_at - now > REFRESH_MARGIN:
        return SecretFields({ACCESS_TOKEN: fields[ACCESS_TOKEN]})
    provider = provider_for(settings, integration)
    if provider is None:
        if expires_at > now:
            return SecretFields({ACCESS_TOKEN: fields[ACCESS_TOKEN]})
        log.warning("oauth: the %s token of %s expired and OAuth is no longer configured",
                    integration, owner_key)
        raise RefreshFailed(integration)
    try:
        tokens = await refresh(provider, fields[REFRESH_TOKEN], now)
    except OAuthRefused as err:
        log.warning("oauth: %s refused to refresh the %s token of %s (%s)",
                    provider.title, integration, owner_key, err)
        raise RefreshFailed(integration) from None
    except TransientError:
        if expires_at > now:  # still valid for a moment: use it, refresh on a later call
            return SecretFields({ACCESS_TOKEN: fields[ACCESS_TOKEN]})
        raise
    await vault.put(owner_key, integration, tokens.fields())
    log.info("oauth: refreshed the %s token of %s", integration, owner_key)
    return SecretFields({ACCESS_TOKEN: tokens.access_token})


def _expiry(fields: Mapping[str, str]) -> datetime:
    try:
        return datetime.fromtimestamp(int(fields.get(EXPIRES_AT, "0")), UTC)
    except (ValueError, OverflowError):
        return datetime.fromtimestamp(0, UTC)  # unreadable: treat as expired, refresh


def _session() -> aiohttp.ClientSession:
    import aiohttp

    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_SECONDS))


async def _token_request(provider: OAuthProvider, form: dict[str, str], now: datetime,
                         previous_refresh: str | None) -> TokenSet:
    form = {**form, "client_id": provider.client_id,
            "client_secret": provider.client_secret.get_secret_value()}
    import aiohttp

    started = time.monotonic()
    try:
        async with _session() as http, http.post(
                provider.token_url, data=form, headers={"Accept": "application/json"}) as response:
            status = response.status
            body: Any = await response.json(content_type=None) if status != 204 else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        raise TransientError(f"{provider.title}'s token endpoint could not be reached or "
                             f"answered garbage ({type(err).__name__})") from None
    log.debug("oauth: %s token endpoint answered %d in %.2f s", provider.title, status,
              time.monotonic() - started)
    if status >= 500 or status == 429:
        raise TransientError(f"{provider.title}'s token endpoint answered {status}")
    if status >= 400:
        raise OAuthRefused(f"{provider.title} refused ({status} {_error_code(body)})".strip())
    if not isinstance(body, dict) or not isinstance(body.get(ACCESS_TOKEN), str):
        raise PermanentError(f"{provider.title}'s token endpoint answered without an access token")
    refresh_token = body.get(REFRESH_TOKEN) or previous_refresh
    if not isinstance(refresh_token, str) or not refresh_token:
        raise PermanentError(f"{provider.title} issued no refresh token")
    try:
        lifetime = int(body.get("expires_in", 0))
    except (TypeError, ValueError):
        lifetime = 0
    return TokenSet(body[ACCESS_TOKEN], refresh_token, now + timedelta(seconds=max(lifetime, 0)))


def _error_code(body: Any) -> str:
    """HubSpot says ``status`` (BAD_AUTH_CODE …), RFC 6749 says ``error``: keep it only when
    it looks like a code, so no echoed value reaches a message."""
    if isinstance(body, dict):
        for key in ("error", "status"):
            value = body.get(key)
            if isinstance(value, str) and _ERROR_CODE.match(value):
                return value
    return ""
