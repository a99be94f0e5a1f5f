"""`deputy slack manifest`: a ready Slack app manifest to paste into "Create New App"."""

from __future__ import annotations

from typing import Any

import yaml

from bot.adapters.slack.settings import EVENTS_PATH

BOT_SCOPES = (
    "commands",
    "chat:write",
    "files:write",  # the browser's screenshots, uploaded into the plan's thread
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "users:read",
    "usergroups:read",
)
BOT_EVENTS = ("app_mention", "message.channels", "message.groups")
DESCRIPTION = "Plans what you ask, waits for approval, then does it."


# the distributed app hears when a workspace removes it (bot/adapters/slack/distribution.py)
DISTRIBUTED_EVENTS = ("app_uninstalled", "tokens_revoked")
REDIRECT_PATH = "/slack/oauth_redirect"
# "Sign in with Slack" to the web console (bot/adapters/slack/console_signin.py): OpenID
# Connect's user scopes and the console's callback, registered with the distributed app
OPENID_SCOPES = ("openid", "profile", "email")
OPENID_REDIRECT_PATH = "/console/signin/slack/callback"


def slack_manifest(public_url: str | None, *, socket_mode: bool, name: str = "Deputy",
                   distributed: bool = False, token_rotation: bool = False,
                   sign_in: bool = False) -> dict[str, Any]:
    """The manifest as a dict. Over HTTP every request URL is ``<public_url>/slack/events``;
    in Socket Mode no URL is needed. ``distributed``: the "Add to Slack" app for many
    workspaces (and Enterprise Grid orgs), its OAuth redirect URL ``<public_url>/slack/oauth_redirect``,
    and "Sign in with Slack" for the web console (``<public_url>/console/signin/slack/callback``,
    user scopes ``openid profile email``). ``sign_in``: that sign-in for a one-workspace app."""
    if sign_in and not public_url:
        raise ValueError("--sign-in needs --url (the public https:// URL of `deputy serve`): Slack sends "
                         "each signing-in browser back to its /console/signin/slack/callback")
    if distributed and (socket_mode or not public_url):
        raise ValueError("--distributed needs --url (the public https:// URL of `deputy serve`): "
                         "Slack sends each installing browser back to it; Socket Mode cannot")
    if token_rotation and not distributed:
        raise ValueError("--token-rotation is for the distributed app: add --distributed")
    if not socket_mode and not public_url:
        raise ValueError("a public URL (https://…) is needed unless Socket Mode is used")
    if public_url and not public_url.startswith("https://"):
        raise ValueError(f"--url {public_url}: Slack accepts only https:// request URLs; give the public "
                         "https:// URL of `deputy serve`, or use --socket-mode")
    url = public_url.rstrip("/") + EVENTS_PATH if public_url and not socket_mode else None
    command: dict[str, Any] = {
        "command": "/deputy",
        "description": "Ask Deputy for something, or: help, status, cancel ID, connect X",
        "usage_hint": "<goal> | help | status | cancel ID | connect X | connections",
        "should_escape": False,
    }
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS) + (list(DISTRIBUTED_EVENTS) if distributed else [])}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if url:
        command["url"] = url
        events["request_url"] = url
        interactivity["request_url"] = url
    oauth: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if (distributed or sign_in) and public_url:
        redirects = [public_url.rstrip("/") + REDIRECT_PATH] if distributed else []
        oauth = {"redirect_urls": [*redirects, public_url.rstrip("/") + OPENID_REDIRECT_PATH],
                 "scopes": {"bot": list(BOT_SCOPES), "user": list(OPENID_SCOPES)}}
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": name, "description": DESCRIPTION, "background_color": "#2c3e50"},
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": oauth,
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": distributed,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": token_rotation,
        },
    }


def manifest_yaml(public_url: str | None, *, socket_mode: bool, name: str = "Deputy",
                  distributed: bool = False, token_rotation: bool = False, sign_in: bool = False) -> str:
    return yaml.safe_dump(slack_manifest(public_url, socket_mode=socket_mode, name=name, distributed=distributed,
                                         token_rotation=token_rotation, sign_in=sign_in), sort_keys=False)
