"""OAuth 2 connections: authorization code with PKCE (S256), refresh, revoke, for any provider.

What a provider needs is declared by its integration, never here: the manifest's ``oauth``
block (title, authorize/token/revoke URLs, scopes, how the app authenticates) and its
settings model (the app's client id and secret, URL overrides); see :func:`provider_for`.

A connect link carries a random ``state`` bound server-side to the person who asked (see
:mod:`bot.store.oauth_states`: single use, ten minutes). The callback exchanges the code, with
the PKCE verifier, for tokens that go straight into the vault as the credential's fields::

    access_token · refresh_token · expires_at (Unix seconds) · auth = "oauth2"

Before a call the executor asks :func:`usable_credentials`, which refreshes an access token
that expires within :data:`REFRESH_MARGIN` and hands the integration the access token only.

HTTP goes through aiohttp, which logs no request URLs: a revoke endpoint may put the refresh
token in the path (HubSpot's does), and httpx would log that path at INFO.
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
from urllib.parse import quote, urlencode, urljoin

from pydantic import SecretStr

from bot.domain.oauth import OAuthSpec
from bot.errors import PermanentError, ReconnectNeeded, SettingsError, TransientError
from bot.settings import Settings
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
    # None where the provider offers no revocation; DELETE puts the token in the URL as
    # {refresh_token}, POST sends it as an RFC 7009 form
    revoke_url: str | None
    revoke_method: str = "POST"
    client_auth: str = "body"  # or "basic": the app's id and secret as HTTP Basic
    authorize_params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime

    def fields(self) -> dict[str, str]:
        return {ACCESS_TOKEN: self.access_token, REFRESH_TOKEN: self.refresh_token,
                EXPIRES_AT: str(int(self.expires_at.timestamp())), AUTH: "oauth2"}


def provider_for(settings: Settings, integration: str, spec: OAuthSpec | None,
                 own: Any) -> OAuthProvider | None:
    """The OAuth set-up of ``integration``, from its manifest's ``oauth`` block (``spec``) and
    its own settings (``own``); None when it connects with pasted credentials (no ``oauth``
    block, or the operator set no client id for it)."""
    if spec is None or own is None:
        return None
    names = spec.settings
    client_id = str(getattr(own, names.client_id, "") or "")
    if not client_id:
        return None
    public_url = settings.public_url.rstrip("/")
    if not public_url:
        raise SettingsError("DEPUTY_PUBLIC_URL: needed for OAuth (the address people's browsers "
                            "reach `deputy serve` at, e.g. https://deputy.example.com)")
    secret = getattr(own, names.client_secret, None)
    token_url = _setting(own, names.token_url) or spec.token_url
    revoke_url = _setting(own, names.revoke_url) or spec.revoke_url
    return OAuthProvider(
        integration=integration, title=spec.title, client_id=client_id,
        client_secret=secret if isinstance(secret, SecretStr) else SecretStr(str(secret or "")),
        auth_url=_setting(own, names.authorize_url) or spec.authorize_url, token_url=token_url,
        redirect_uri=public_url + CALLBACK_PATH, scopes=tuple(spec.scopes),
        revoke_url=urljoin(token_url, revoke_url) if revoke_url else None,
        revoke_method=spec.revoke_method, client_auth=spec.client_auth,
        authorize_params=tuple(spec.authorize_params.items()))


def _setting(own: Any, name: str | None) -> str:
    return str(getattr(own, name, "") or "") if name else ""


def new_state() -> str:
    return secrets.token_urlsafe(32)


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) as RFC 7636 defines them: 43–128 unreserved characters."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(provider: OAuthProvider, state: str, challenge: str) -> str:
    query = urlencode({
        **dict(provider.authorize_params),
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
        async with _session() as http, _revoke_request(http, provider, token) as response:
            if response.status < 300 or response.status == 404:  # 404: already gone
                return True
            log.warning("oauth: %s answered %d to a revoke", provider.title, response.status)
    except (aiohttp.ClientError, TimeoutError) as err:
        log.warning("oauth: could not reach %s to revoke (%s)", provider.title, type(err).__name__)
    return False


def _revoke_request(http: aiohttp.ClientSession, provider: OAuthProvider,
                    token: str) -> Any:
    url = str(provider.revoke_url)
    if provider.revoke_method == "DELETE":
        return http.delete(url.replace("{refresh_token}", quote(token, safe="")))
    form, headers = _client_auth(provider, {"token": token, "token_type_hint": REFRESH_TOKEN})
    return http.post(url, data=form, headers=headers)


def _client_auth(provider: OAuthProvider,
                 form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The form and headers of a request to the provider, with the app's credentials."""
    secret = provider.client_secret.get_secret_value()
    if provider.client_auth == "basic":  # RFC 6749 2.3.1: each part form-encoded, then Base64
        pair = f"{quote(provider.client_id, safe='')}:{quote(secret, safe='')}".encode()
        return form, {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    return {**form, "client_id": provider.client_id, "client_secret": secret}, {}


def is_oauth(fields: Mapping[str, str]) -> bool:
    return fields.get(AUTH) == "oauth2" and REFRESH_TOKEN in fields


async def usable_credentials(provider: OAuthProvider | None, vault: CredentialStore,
                             owner_key: str, integration: str, fields: SecretFields,
                             now: datetime) -> SecretFields:
    """What one call may use: pasted credentials as they are; for OAuth, a fresh access token
    (refreshed through ``provider`` and stored when it expires within REFRESH_MARGIN) and
    nothing else."""
    if not is_oauth(fields):
        return fields
    expires_at = _expiry(fields)
    if expires_at - now > REFRESH_MARGIN:
        return SecretFields({ACCESS_TOKEN: fields[ACCESS_TOKEN]})
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
    form, headers = _client_auth(provider, form)
    import aiohttp

    started = time.monotonic()
    try:
        async with _session() as http, http.post(
                provider.token_url, data=form, headers={**headers, "Accept": "application/json"}) as response:
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
    """RFC 6749 says ``error``, HubSpot says ``status`` (BAD_AUTH_CODE …): keep it only when
    it looks like a code, so no echoed value reaches a message."""
    if isinstance(body, dict):
        for key in ("error", "status"):
            value = body.get(key)
            if isinstance(value, str) and _ERROR_CODE.match(value):
                return value
    return ""
