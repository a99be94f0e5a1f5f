"""A team's own settings (the ``teams`` row's JSON), what they mean and how they change.

- ``role_groups``: policy group → platform role id (Discord). When a team has one, it
  replaces the deployment's ``DEPUTY_DISCORD_ROLE_GROUPS`` for that team's members: a role of
  one guild grants nothing in another.
- ``digest_channel``: where a monitor posts its digest when the request named no channel.
- ``timezone``: the team's time zone (IANA name), shown to its admins.

Every change is validated here, so the chat command and ``deputy teams set`` refuse the same
bad input with the same words.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserError
from bot.lazy_re import lazy

ROLE_PLATFORMS = frozenset({"discord"})  # platforms whose people hold roles Deputy maps
KEYS = ("role", "digest", "timezone")
_ROLE = lazy(r"^(?:<@&(\d{1,20})>|(\d{1,20}))$")
# a mention as Discord (<#123>) or Slack (<#C123|name>) writes it, or a bare channel id
_CHANNEL = lazy(r"^(?:<#([A-Za-z0-9]{1,30})(?:\|[^>]*)?>|([A-Z0-9]{1,30}))$")
_GROUP = lazy(r"^[a-z][a-z0-9_-]{0,39}$")
CLEAR = frozenset({"none", "-", "off"})


def groups_of(roles: frozenset[str], role_groups: dict[str, str]) -> frozenset[str]:
    """The policy groups whose role the person holds."""
    return frozenset(group for group, role in role_groups.items() if str(role) in roles)


def changed(platform: str, settings: dict[str, Any], key: str, values: list[str]) -> dict[str, Any]:
    """The settings after ``KEY VALUE…`` (``role GROUP ROLE``, ``digest CHANNEL``,
    ``timezone ZONE``; ``none`` clears). UserError says what is wrong with the input."""
    new = dict(settings)
    key = key.lower()
    if key == "role":
        new["role_groups"] = _role_change(platform, dict(settings.get("role_groups") or {}), values)
    elif key == "digest":
        new["digest_channel"] = _channel(_one(values, "digest #channel"))
    elif key == "timezone":
        new["timezone"] = _zone(_one(values, "timezone Europe/Paris"))
    else:
        raise UserError(f"There is no team setting {key!r}: use one of {', '.join(KEYS)}.")
    return {k: v for k, v in new.items() if v not in ("", None, {})}


def describe(platform: str, settings: dict[str, Any]) -> list[str]:
    """The settings as lines to show an admin; a setting left at the default says so."""
    roles = settings.get("role_groups") or {}
    lines = []
    if platform in ROLE_PLATFORMS:
        lines.append("Roles → policy groups: " + (", ".join(
            f"{group} = role {role}" for group, role in sorted(roles.items()))
            if roles else "the deployment's default (DEPUTY_DISCORD_ROLE_GROUPS)"))
    digest = settings.get("digest_channel")
    lines.append(f"Digest channel: {digest}" if digest else
                 "Digest channel: where each monitor was asked for")
    lines.append(f"Time zone: {settings.get('timezone') or 'the deployment default'}")
    return lines


def _one(values: list[str], usage: str) -> str:
    if len(values) != 1:
        raise UserError(f"Use: setup {usage}")
    return values[0]


def _role_change(platform: str, roles: dict[str, str], values: list[str]) -> dict[str, str]:
    if platform not in ROLE_PLATFORMS:
        raise UserError("This platform's groups come from its own user groups; there is no "
                        "role map to set here.")
    if len(values) != 2:
        raise UserError("Use: setup role GROUP @Role (or `setup role GROUP none` to remove it).")
    group, role = values[0].lower(), values[1]
    if not _GROUP.match(group):
        raise UserError(f"{values[0]!r} is not a policy group name: lower-case letters, digits, - and _.")
    if role.lower() in CLEAR:
        roles.pop(group, None)
        return roles
    match = _ROLE.match(role)
    if match is None:
        raise UserError(f"{role!r} is not a role: mention it (@Role) or give its id.")
    roles[group] = match.group(1) or match.group(2)
    return roles


def _channel(value: str) -> str:
    if value.lower() in CLEAR:
        return ""
    match = _CHANNEL.match(value)
    if match is None:
        raise UserError(f"{value!r} is not a channel: mention it (#channel) or give its id.")
    return match.group(1) or match.group(2)


def _zone(value: str) -> str:
    if value.lower() in CLEAR:
        return ""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"{value!r} is not a time zone: use an IANA name such as Europe/Paris.") from None
    return value
