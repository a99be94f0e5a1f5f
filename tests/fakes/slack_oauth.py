"""Slack's OAuth v2 for the fake Slack (tests/fakes/slack_api.py): the authorize page a person
approves in the browser, and ``oauth.v2.access``, which trades the code for tokens.

``GET /oauth/v2/authorize?client_id&scope&state&redirect_uri[&team]`` plays the person who
clicks "Allow" in the workspace :attr:`FakeSlackOAuth.approving` (or ``team``): a 302 to the
redirect URI with a fresh ``code`` and the ``state`` unchanged. An unknown client id gets
Slack's error page (400), a redirect URI other than the app's is refused (``bad_redirect_uri``).

``oauth.v2.access`` reads the client's credentials from HTTP Basic auth (or the form) and
answers as Slack does (docs.slack.dev/reference/methods/oauth.v2.access): ``bad_client_id``,
``bad_client_secret``, ``invalid_code`` (never issued), ``code_already_used``,
``bad_redirect_uri`` (not the one the code was issued for); with ``grant_type=refresh_token``:
``invalid_refresh_token`` for one unknown or already used (refresh tokens are single-use).
A successful install answers ``access_token`` (a bot token of that workspace, which the fake
Web API then accepts and attributes to it), ``token_type: bot``, ``scope``, ``bot_user_id``,
``app_id``, ``team``, ``enterprise``, ``authed_user``, ``is_enterprise_install``; with token
rotation on, ``refresh_token`` and ``expires_in`` too.

"Sign in with Slack" (OpenID Connect; slack.com/.well-known/openid-configuration):
``GET /openid/connect/authorize?response_type=code&scope=openid…&client_id&state&nonce
&redirect_uri`` plays :attr:`FakeSlackOAuth.signing_in` (team id, user id) clicking "Allow":
a 302 back with a code and the state. An unknown client id, a scope without ``openid``, a
response type other than ``code`` or a redirect URI other than the app's gets a 400 page.
``openid.connect.token`` refuses as ``oauth.v2.access`` does (``bad_client_id``,
``bad_client_secret``, ``invalid_code``, ``code_already_used``, ``bad_redirect_uri``) and
answers ``access_token`` (a user token, ``xoxp-…``), ``token_type: Bearer`` and ``id_token``:
a JWT signed RS256 with a key of this fake, carrying ``iss`` https://slack.com, ``aud`` the
client id, ``exp``, ``iat``, ``nonce``, ``sub`` and the claims ``https://slack.com/team_id``
and ``https://slack.com/user_id`` (``id_token_changes`` lets a test alter them, as a forged or
misdirected token would). ``openid.connect.userInfo`` answers the same claims to that user
token.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
APP_ID = "A0DEPUTY"


@dataclass
class Workspace:
    team_id: str
    name: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    installer: str = "U0ANNA"


@dataclass
class FakeSlackOAuth:
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    approving: str = ""  # the workspace whose admin clicks "Allow"
    org_install: bool = False  # the next approval installs for the whole org (Enterprise Grid)
    rotation: bool = False
    expires_in: int = 43_200
    redirect_uri: str = ""  # the app's configured redirect URL; "" accepts any
    # code → {team, redirect_uri, used}
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[str, bool]] = field(default_factory=dict)  # → (team, used)
    # token → (team id, enterprise id): which workspace a token speaks for
    token_teams: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # the bot tokens of org-wide installs (Enterprise Grid): an org token must name the
    # workspace in calls such as usergroups.list (team_id)
    org_tokens: set[str] = field(default_factory=set)
    last_redirect: str = ""  # where the last "Allow" sent the browser
    # Sign in with Slack: who signs in, their codes, the user tokens issued and their claims
    signing_in: tuple[str, str] = ("", "")
    id_token_changes: dict[str, Any] = field(default_factory=dict)
    oidc_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _key: rsa.RSAPrivateKey | None = None

    def add(self, team_id: str, name: str, **kwargs: Any) -> Workspace:
        self.workspaces[team_id] = Workspace(team_id, name, **kwargs)
        return self.workspaces[team_id]

    def tokens_of(self, team_id: str) -> list[str]:
        return [t for t, (team, _) in self.token_teams.items() if team == team_id]

    async def authorize(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("client_id") != CLIENT_ID:
            return web.Response(status=400, text="invalid_client_id")
        redirect = query.get("redirect_uri") or self.redirect_uri
        if self.redirect_uri and redirect != self.redirect_uri:
            return web.Response(status=400, text="bad_redirect_uri")
        team = query.get("team") or self.approving
        code = f"{next(self._n)}.{abs(hash((team, query.get('state')))) % 10**12}.code"
        self.codes[code] = {"team": team, "redirect_uri": query.get("redirect_uri"), "used": False,
                            "org": self.org_install}
        target = redirect + ("&" if "?" in redirect else "?") + urlencode({"code": code, "state": query.get("state", "")})
        self.last_redirect = target
        raise web.HTTPFound(target)

    def access(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        refused = _client_refusal(request, params)
        if refused is not None:
            return refused
        if params.get("grant_type") == "refresh_token":
            return self._refresh(str(params.get("refresh_token", "")))
        code = self.codes.get(str(params.get("code", "")))
        if code is None:
            return {"ok": False, "error": "invalid_code"}
        if code["used"]:
            return {"ok": False, "error": "code_already_used"}
        if code["redirect_uri"] and params.get("redirect_uri") != code["redirect_uri"]:
            return {"ok": False, "error": "bad_redirect_uri"}
        code["used"] = True
        return self._install(self.workspaces[code["team"]], bool(code["org"]))

    def _token(self, workspace: Workspace, org: bool) -> dict[str, Any]:
        n = next(self._n)
        token = f"xoxb-{workspace.team_id}-{n}-{'e' if self.rotation else 'p'}"
        self.token_teams[token] = (workspace.team_id, workspace.enterprise_id)
        if org:
            self.org_tokens.add(token)
        answer: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if self.rotation:
            refresh = f"xoxe-1-{workspace.team_id}-{n}"
            self.refresh_tokens[refresh] = (workspace.team_id, False)
            answer.update(refresh_token=refresh, expires_in=self.expires_in)
        return answer

    def _install(self, workspace: Workspace, org: bool) -> dict[str, Any]:
        enterprise = ({"id": workspace.enterprise_id, "name": workspace.enterprise_name}
                      if workspace.enterprise_id else None)
        return {
            "ok": True, **self._token(workspace, org),
            "scope": "commands,chat:write,files:write,app_mentions:read,channels:history,groups:history,"
                     "users:read,usergroups:read",
            "bot_user_id": f"UB{workspace.team_id}", "app_id": APP_ID,
            "team": None if org else {"id": workspace.team_id, "name": workspace.name},
            "enterprise": enterprise,
            "authed_user": {"id": workspace.installer},
            "is_enterprise_install": org,
        }

    def _refresh(self, refresh: str) -> dict[str, Any]:
        known = self.refresh_tokens.get(refresh)
        if known is None or known[1]:
            return {"ok": False, "error": "invalid_refresh_token"}
        self.refresh_tokens[refresh] = (known[0], True)
        workspace = self.workspaces[known[0]]
        return {"ok": True, **self._token(workspace, False), "app_id": APP_ID,
                "team": {"id": workspace.team_id, "name": workspace.name},
                "enterprise": None, "is_enterprise_install": False}

    # -- Sign in with Slack (OpenID Connect) ---------------------------------------------------

    async def openid_authorize(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("client_id") != CLIENT_ID:
            return web.Response(status=400, text="invalid_client_id")
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return web.Response(status=400, text="invalid_scope")
        redirect = query.get("redirect_uri") or self.redirect_uri
        if self.redirect_uri and redirect != self.redirect_uri:
            return web.Response(status=400, text="bad_redirect_uri")
        team, user = self.signing_in
        code = f"{next(self._n)}.{abs(hash((team, user, query.get('state')))) % 10**12}.oidc"
        self.oidc_codes[code] = {"team": team, "user": user, "nonce": query.get("nonce"),
                                 "redirect_uri": query.get("redirect_uri"), "used": False}
        target = redirect + ("&" if "?" in redirect else "?") + urlencode({"code": code, "state": query.get("state", "")})
        self.last_redirect = target
        raise web.HTTPFound(target)

    def openid_token(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        refused = _client_refusal(request, params)
        if refused is not None:
            return refused
        code = self.oidc_codes.get(str(params.get("code", "")))
        if code is None:
            return {"ok": False, "error": "invalid_code"}
        if code["used"]:
            return {"ok": False, "error": "code_already_used"}
        if code["redirect_uri"] and params.get("redirect_uri") != code["redirect_uri"]:
            return {"ok": False, "error": "bad_redirect_uri"}
        code["used"] = True
        workspace = self.workspaces.get(code["team"])
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "https://slack.com", "sub": code["user"], "aud": CLIENT_ID, "exp": now + 3600,
            "iat": now, "auth_time": now, "nonce": code["nonce"],
            "https://slack.com/user_id": code["user"], "https://slack.com/team_id": code["team"],
            "email": f"{code['user'].lower()}@example.com", "email_verified": True,
            "name": code["user"], "locale": "en-US",
            "https://slack.com/team_name": workspace.name if workspace else code["team"],
            # a workspace of an Enterprise Grid org: the org's id too
            **({"https://slack.com/enterprise_id": workspace.enterprise_id}
               if workspace and workspace.enterprise_id else {}),
            **self.id_token_changes}
        token = f"xoxp-{code['team']}-{next(self._n)}"
        self.user_tokens[token] = {k: v for k, v in claims.items()
                                   if k not in ("iss", "aud", "exp", "iat", "auth_time", "nonce")}
        return {"ok": True, "access_token": token, "token_type": "Bearer", "id_token": self._jwt(claims)}

    def user_info(self, token: str) -> dict[str, Any]:
        claims = self.user_tokens.get(token)
        return {"ok": True, **claims} if claims is not None else {"ok": False, "error": "invalid_auth"}

    def _jwt(self, claims: dict[str, Any]) -> str:
        if self._key is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

        signed = f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'fake-slack-1'})}.{part(claims)}"
        signature = self._key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signed + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")


def _client_refusal(request: web.Request, params: dict[str, Any]) -> dict[str, Any] | None:
    """Slack's answer when the app's client id or secret (HTTP Basic auth, else the form) is
    wrong; None when both are right."""
    client_id, secret = str(params.get("client_id", "")), str(params.get("client_secret", ""))
    basic = request.headers.get("Authorization", "")
    if basic.startswith("Basic "):
        client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
    if client_id != CLIENT_ID:
        return {"ok": False, "error": "bad_client_id"}
    if secret != CLIENT_SECRET:
        return {"ok": False, "error": "bad_client_secret"}
    return None
