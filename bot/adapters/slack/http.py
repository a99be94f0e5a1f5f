"""HTTP transport: aiohttp routes ``POST /slack/events`` (commands, events, interactivity)
and ``GET /healthz``.

The signature is checked before the body is parsed, so an unsigned or stale request gets
401 whatever it holds, and a signed but unreadable one gets 400. The body is parsed once,
here, and bolt is given the result (docs/benchmarks.md, "What web spends per request,
counted").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.app import SlackAdapter
from bot.adapters.slack.settings import EVENTS_PATH as EVENTS_PATH
from bot.errors import SettingsError

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; refuse floods early


def _read(body: str, media: str | None) -> tuple[Any, str]:
    """The body as Slack means it, and what it was ("json", "payload", "form"): a JSON object (Events API), a
    form's ``payload`` field as JSON (interactivity), or a form's own fields (a slash command).
    Not slack-bolt's ``parse_body``: it takes the word "payload" anywhere in a form body for the
    field, so a slash command whose text says "payload" was read as an empty request."""
    if media == "application/json" or body.startswith("{"):
        return json.loads(body), "json"
    fields = dict(parse_qsl(body, keep_blank_values=True))
    payload = fields.get("payload")
    return (json.loads(payload), "payload") if payload is not None else (fields, "form")


def _parsed(body: str, content_type: str) -> dict[str, Any] | None:
    """The body read once here and handed to bolt (:func:`_read`); None unless it has the
    shapes Slack sends (``event``, ``user``, ``team``, ``channel``, ``view`` objects where
    present; a ``block_actions`` payload's ``actions`` a non-empty list of objects)."""
    media = content_type.split(";")[0].strip() or None
    try:
        data, kind = _read(body, media)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if kind == "json":
        return data if all(k not in data or isinstance(data[k], dict) for k in ("event", "user")) else None
    if kind == "form":  # a slash command's fields
        return data
    if not all(k not in data or isinstance(data[k], dict) for k in ("user", "team", "channel", "view")):
        return None
    actions = data.get("actions")
    if actions is None:
        return data if data.get("type") != "block_actions" else None
    return data if isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions) else None


def create_http_app(adapter: SlackAdapter, app: web.Application | None = None) -> web.Application:
    """Add Deputy's Slack routes to ``app`` (or a new one), e.g. next to other web routes."""
    secret = adapter.settings.signing_secret.get_secret_value()
    if not secret:
        raise SettingsError("SLACK_SIGNING_SECRET: required to receive Slack requests over HTTP")
    verifier = SignatureVerifier(secret)
    web_app = app if app is not None else web.Application(client_max_size=MAX_BODY)

    async def slack_events(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.text()
        except (UnicodeDecodeError, web.HTTPRequestEntityTooLarge):
            return web.Response(status=400, text="unreadable body")
        headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in request.headers.items()}
        try:
            valid = verifier.is_valid(
                body,
                request.headers.get("X-Slack-Request-Timestamp"),
                request.headers.get("X-Slack-Signature"),
            )
        except ValueError:  # a timestamp that is not a number
            valid = False
        if not valid:
            return web.Response(status=401, text="invalid request")
        data = _parsed(body, request.headers.get("Content-Type", ""))
        if data is None:
            return web.Response(status=400, text="malformed body")
        try:
            # the body parsed above, not parsed again; its signature checked above, not
            # checked again: bolt skips both for a request in its "socket_mode", which
            # changes nothing else in how it dispatches (slack-bolt 1.x)
            bolt_request = AsyncBoltRequest(body=data, query=request.query_string, headers=headers,
                                            mode="socket_mode")
        except (ValueError, AttributeError, TypeError):  # truncated, garbled or mistyped payload
            return web.Response(status=400, text="malformed body")
        bolt_response = await adapter.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app.router.add_post(EVENTS_PATH, slack_events)
    if adapter.distribution is not None:
        add_install_routes(web_app, adapter)
    # `deputy serve` mounts its own health routes; a bare Slack app gets a minimal one
    if not any(r.resource is not None and r.resource.canonical == "/healthz"
               for r in web_app.router.routes()):
        web_app.router.add_get("/healthz", healthz)
    return web_app


def add_install_routes(web_app: web.Application, adapter: SlackAdapter) -> None:
    """``GET /slack/install`` and ``GET /slack/oauth_redirect``: slack-bolt's OAuth flow."""
    from bot.adapters.slack.distribution import INSTALL_PATH, REDIRECT_PATH

    assert adapter.distribution is not None
    flow = adapter.distribution.flow

    def bolt_request(request: web.Request) -> AsyncBoltRequest:
        headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in request.headers.items()}
        return AsyncBoltRequest(body="", query=request.query_string, headers=headers)

    async def install(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await flow.handle_installation(bolt_request(request)))

    async def redirect(request: web.Request) -> web.StreamResponse:
        response = await to_aiohttp_response(await flow.handle_callback(bolt_request(request)))
        response.headers.update(NO_STORE)
        return response

    web_app.router.add_get(INSTALL_PATH, install)
    web_app.router.add_get(REDIRECT_PATH, redirect)


def callback_paths(adapter: SlackAdapter) -> list[str]:
    """The routes served here whose query holds an OAuth code and state ("Add to Slack"'s
    callback): whoever serves them keeps that query out of its access log."""
    from bot.adapters.slack.distribution import REDIRECT_PATH

    return [REDIRECT_PATH] if adapter.distribution is not None else []


# the callback's page must not be cached, nor leak its code and state through Referer
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
