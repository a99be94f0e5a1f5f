"""A fake Google OAuth 2.0 token endpoint on 127.0.0.1, and the service-account key file that
points ``google-auth`` at it.

``google-auth`` reads a service-account JSON file (``GOOGLE_APPLICATION_CREDENTIALS``, the
first step of application-default credentials) and trades a signed JWT for an access token
at the file's ``token_uri``: ``POST token_uri`` with the form fields
``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and ``assertion=JWT``. The JWT is
RS256-signed with the file's private key; its header names the key (``kid`` =
``private_key_id``) and its claims are ``iss`` (the client e-mail), ``aud`` (Google's token
endpoint, ``https://oauth2.googleapis.com/token``, whatever the file's ``token_uri``),
``scope``, ``iat`` and ``exp`` (at most an hour later).

The fake checks all of that with the public half of the key it generated, as Google does,
and answers ``{"access_token", "expires_in", "token_type": "Bearer"}``; a bad grant is
Google's 400 ``{"error": "invalid_grant", "error_description": …}``.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any, Self

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
AUDIENCE = "https://oauth2.googleapis.com/token"


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FakeGoogleToken:
    """``async with FakeGoogleToken(access_token=…) as google:``; ``google.write_key_file(path,
    project=…)`` writes a service-account key whose ``token_uri`` is this server."""

    def __init__(self, *, access_token: str = "ya29.fake-token", client_email: str =
                 "deputy-planner@acme-planning.iam.gserviceaccount.com") -> None:
        self.access_token = access_token
        self.client_email = client_email
        self.key_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.grants: list[dict[str, Any]] = []  # the claims of every JWT it accepted
        self.refusals: list[str] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def write_key_file(self, path: Path, *, project: str) -> Path:
        pem = self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()
        path.write_text(json.dumps({
            "type": "service_account", "project_id": project, "private_key_id": self.key_id,
            "private_key": pem, "client_email": self.client_email, "client_id": "112233445566778899000",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "universe_domain": "googleapis.com",
        }))
        return path

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/token", self._token)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != JWT_BEARER:
            return self._refuse("unsupported_grant_type", "Invalid grant_type: " + str(form.get("grant_type")))
        problem, claims = self._check(str(form.get("assertion", "")))
        if problem:
            return self._refuse("invalid_grant", problem)
        self.grants.append(claims)
        return web.json_response({"access_token": self.access_token, "expires_in": 3599, "token_type": "Bearer"})

    def _check(self, assertion: str) -> tuple[str, dict[str, Any]]:
        parts = assertion.split(".")
        if len(parts) != 3:
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.", {}
        header, claims = json.loads(_b64decode(parts[0])), json.loads(_b64decode(parts[1]))
        if header.get("alg") != "RS256" or header.get("kid") != self.key_id:
            return "Invalid JWT Signature.", {}
        try:
            self._key.public_key().verify(_b64decode(parts[2]), f"{parts[0]}.{parts[1]}".encode(),
                                          padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return "Invalid JWT Signature.", {}
        if claims.get("iss") != self.client_email:
            return "Invalid grant: account not found", {}
        if claims.get("aud") != AUDIENCE:
            return "Invalid JWT: Failed audience check.", {}
        now = time.time()
        if not (claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0)) or claims["exp"] - claims["iat"] > 3600:
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.", {}
        if CLOUD_PLATFORM not in str(claims.get("scope", "")).split():
            return "Invalid OAuth scope or ID token audience provided.", {}
        return "", claims

    def _refuse(self, error: str, description: str) -> web.Response:
        self.refusals.append(description)
        return web.json_response({"error": error, "error_description": description}, status=400)
