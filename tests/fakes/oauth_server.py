"""A fake HubSpot OAuth 2 server on 127.0.0.1: consent screen, token endpoint, revocation.

Shapes follow HubSpot's documentation: ``GET /oauth/authorize`` (client_id, redirect_uri,
scope, state, code_challenge, code_challenge_method) answers, as if the person clicked
"Connect app", with a 302 to ``redirect_uri?code=…&state=…``; ``POST /oauth/v1/token``
(form-encoded: grant_type authorization_code with code, redirect_uri, client_id,
client_secret, code_verifier; or grant_type refresh_token with refresh_token) answers
``{"access_token", "refresh_token", "expires_in", "token_type"}`` or 400 with
``{"status": "BAD_AUTH_CODE" | "BAD_REFRESH_TOKEN" | …, "message"}``;
``DELETE /oauth/v1/refresh-tokens/{token}`` answers 204.

For providers shaped like RFC 6749/7009 instead (Google, Xero): the app may authenticate with
HTTP Basic (``Authorization: Basic base64(id:secret)``) instead of form fields, and
``POST /oauth/revoke`` (form ``token``, ``token_type_hint``; app credentials as above)
revokes a refresh token and answers 200, also for a token it does not know (RFC 7009 2.2).

Codes are single use and checked against the PKCE challenge (S256). Issued access tokens
are handed to :attr:`on_access_token` (e.g. a FakeHubSpot's token set). Test controls are
attributes, not HTTP switches: :attr:`refuse_refresh`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode

from aiohttp import web

from tests.fakes.local_server import serve_locally


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    scope: str


@dataclass
class FakeOAuthServer:
    client_id: str = "client-7f3a"
    client_secret: str = "shh-client-secret-9b1c"
    expires_in: int = 1800
    refuse_refresh: bool = False
    on_access_token: Callable[[str], None] = lambda token: None
    # what tests read
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    refresh_tokens: set[str] = field(default_factory=set)
    # how the app authenticated at each token or revoke request: "body" or "basic"
    client_auth_seen: list[str] = field(default_factory=list)
    _grants: dict[str, Grant] = field(default_factory=dict)
    _used_codes: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/oauth/authorize", self._authorize)
        app.router.add_post("/oauth/v1/token", self._token)
        app.router.add_delete("/oauth/v1/refresh-tokens/{token}", self._revoke)
        app.router.add_post("/oauth/revoke", self._revoke_rfc7009)
        # no access log: it would be HubSpot's log, and it holds states and revoked tokens
        self._runner, self.url = await serve_locally(app)
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def auth_url(self) -> str:
        return f"{self.url}/oauth/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/v1/token"

    # ---- the consent screen ---------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return web.Response(status=400, text="unknown app")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return web.Response(status=400, text="PKCE required")
        code = f"code-{next(self._counter)}-{hashlib.sha256(query['state'].encode()).hexdigest()[:12]}"
        self._grants[code] = Grant(query["client_id"], query["redirect_uri"],
                                   query["code_challenge"], query["code_challenge_method"],
                                   query.get("scope", ""))
        location = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
        raise web.HTTPFound(location)

    # ---- the token endpoint ---------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return self._error(415, "BAD_REQUEST", "form-encoded body expected")
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        if not self._app_authenticated(request, form):
            return self._error(400, "BAD_CLIENT_ID", "missing or invalid client credentials")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form)
        if grant_type == "refresh_token":
            token = form.get("refresh_token", "")
            if self.refuse_refresh or token not in self.refresh_tokens:
                return self._error(400, "BAD_REFRESH_TOKEN", "missing or unknown refresh token")
            return self._issue(token)
        return self._error(400, "BAD_GRANT_TYPE", "unsupported grant_type")

    def _exchange(self, form: dict[str, str]) -> web.Response:
        code = form.get("code", "")
        grant = self._grants.get(code)
        if grant is None or code in self._used_codes:
            return self._error(400, "BAD_AUTH_CODE", "missing or unknown auth code")
        self._used_codes.add(code)  # a code works once, even when the exchange then fails
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._error(400, "BAD_REDIRECT_URI", "redirect_uri does not match")
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
        if digest.decode() != grant.challenge:
            return self._error(400, "BAD_CODE_VERIFIER", "code_verifier does not match")
        refresh = f"rt-{next(self._counter)}-{hashlib.sha256(code.encode()).hexdigest()[:24]}"
        self.refresh_tokens.add(refresh)
        return self._issue(refresh)

    def _issue(self, refresh: str) -> web.Response:
        access = f"at-{next(self._counter)}-{hashlib.sha256(refresh.encode()).hexdigest()[:32]}"
        self.on_access_token(access)
        return self._json({"token_type": "bearer", "refresh_token": refresh,
                           "access_token": access, "expires_in": self.expires_in})

    # ---- revocation -----------------------------------------------------------------

    async def _revoke(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if token not in self.refresh_tokens:
            return self._error(404, "NOT_FOUND", "refresh token not found")
        self.refresh_tokens.discard(token)
        self.revoked.append(token)
        return web.Response(status=204)

    async def _revoke_rfc7009(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if not self._app_authenticated(request, form):
            return self._json({"error": "invalid_client"}, 401)
        token = form.get("token", "")
        if token in self.refresh_tokens:
            self.refresh_tokens.discard(token)
            self.revoked.append(token)
        return web.Response(status=200)

    def _app_authenticated(self, request: web.Request, form: dict[str, str]) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            self.client_auth_seen.append("basic")
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            pair = (unquote_plus(user), unquote_plus(password))
        else:
            self.client_auth_seen.append("body")
            pair = (form.get("client_id", ""), form.get("client_secret", ""))
        return pair == (self.client_id, self.client_secret)

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        return web.Response(body=json.dumps(data).encode(), status=status,
                            headers={"Content-Type": "application/json;charset=utf-8"})

    def _error(self, status: int, code: str, message: str) -> web.Response:
        return self._json({"status": code, "message": message,
                           "correlationId": f"corr-{next(self._counter)}"}, status)
