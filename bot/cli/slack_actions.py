"""What ``deputy slack installations`` prints: the workspaces (and Enterprise Grid orgs) that
installed Deputy with "Add to Slack". Never a token: those stay sealed in the vault."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.settings import Settings
from bot.store import slack_installs
from bot.store.migrate import open_database
from bot.store.slack_installs import SlackInstallationRow


def _as_dict(row: SlackInstallationRow) -> dict[str, Any]:
    details = row.details
    expires = details.get("bot_token_expires_at")
    return {
        "team": row.team_key,
        "install_key": row.install_key,
        "name": details.get("enterprise_name") if row.is_enterprise_install else details.get("team_name"),
        "enterprise_id": row.enterprise_id,
        "org_install": row.is_enterprise_install,
        "bot_scopes": _scopes(details.get("bot_scopes")),
        "bot_token_expires_at": datetime.fromtimestamp(int(expires), UTC).isoformat() if expires else None,
        "installed_at": row.installed_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def _scopes(found: Any) -> list[str]:
    if isinstance(found, str):
        return [s for s in found.split(",") if s]
    return [str(s) for s in found or []]


async def list_installations(settings: Settings, as_json: bool) -> str:
    db = await open_database(settings)
    try:
        # the operator's view over every workspace, on purpose
        async with db.session(all_teams=True) as session:
            rows = [_as_dict(r) for r in await slack_installs.listing(session)]
    finally:
        await db.dispose()
    if as_json:
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if not rows:
        return "No Slack installations (workspaces install at /slack/install)."
    return "\n".join(
        f"{r['team']:<20} {r['name'] or '(no name)':<24} {'org install' if r['org_install'] else 'workspace':<11} "
        f"installed {r['installed_at'][:16]}"
        + (f", token rotates (expires {r['bot_token_expires_at'][:16]})" if r["bot_token_expires_at"] else "")
        for r in rows)
