"""The web console on `deputy serve` (docs/console.md): approvals, runs, audit, policy,
monitors and one's own connections, for the people who are not in chat.

An adapter like the chat platforms: it reads through :mod:`bot.store.console_queries` and
acts through the flow functions chat uses (a decision is the neutral ``ButtonPressed`` a
click in chat sends, through :func:`bot.app.dispatcher`). Server-rendered Jinja2 pages on
the same aiohttp server as ``/slack/events`` and the health routes; one small script of our
own (``static/console.js``) follows a run live, and every page reads without it.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from bot.chat.signin import Member, SignInProvider
from bot.console.audit_pages import add_audit_routes, add_policy_routes
from bot.console.auth_pages import add_auth_routes
from bot.console.base import Console
from bot.console.more_pages import add_more_routes
from bot.console.plan_pages import add_plan_routes
from bot.console.render import HERE
from bot.console.run_pages import EVENTS_PATH, add_run_routes
from bot.console.sessions import Sessions
from bot.core.deputy import Deputy
from bot.errors import SettingsError


def console_key(deputy: Deputy) -> bytes:
    """The session-signing key: derived from the vault's master key, never stored."""
    if deputy.vault is None:
        raise SettingsError("the web console needs the credential vault's master key to sign sessions")
    return deputy.vault.derived_key("console sessions")


def add_console_routes(web_app: web.Application, deputy: Deputy, *, key: bytes | None = None,
                       providers: Sequence[SignInProvider] = ()) -> Console:
    """The console's routes; ``providers``: "Sign in with Slack / Discord", as configured."""
    console = Console(deputy, Sessions(key if key is not None else console_key(deputy)), providers)
    add_auth_routes(web_app, console)
    add_plan_routes(web_app, console)
    add_run_routes(web_app, console)
    add_audit_routes(web_app, console)
    add_policy_routes(web_app, console)
    add_more_routes(web_app, console)
    web_app.router.add_static("/console/static", HERE / "static", append_version=False)
    return console


# answered by `deputy serve`'s front door on its own loop (a stream; see bot/console/run_pages.py)
FRONT_DOOR_PATHS = (EVENTS_PATH,)

__all__ = ["FRONT_DOOR_PATHS", "Console", "Member", "SignInProvider", "add_console_routes", "console_key"]
