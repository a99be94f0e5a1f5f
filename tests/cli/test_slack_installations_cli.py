"""`deputy slack installations`: the workspaces and orgs that installed Deputy, each with its
team, and never a token."""

from __future__ import annotations

import asyncio
import json

from slack_sdk.oauth.installation_store import Installation

from bot.adapters.slack.installs import DeputyInstallationStore, OnLoop
from bot.settings import load_settings
from bot.store.database import Database
from bot.vault import CredentialStore, load_keyring
from tests.cli.conftest import Run

TOKENS = ("xoxb-acme-secret", "xoxe.xoxb-globex-secret", "xoxe-1-refresh-secret")


def _install() -> None:
    async def install() -> None:
        settings = load_settings()
        db = Database(settings.resolved_database_url)
        store = DeputyInstallationStore(db, CredentialStore(db, await load_keyring(settings.home, None)), OnLoop())
        await store.async_save(Installation(
            app_id="A1", team_id="T0A", team_name="Acme", user_id="U1", bot_token=TOKENS[0], bot_id="B1",
            bot_user_id="UB1", bot_scopes=["chat:write", "commands"], installed_at=1_767_000_000.0))
        await store.async_save(Installation(
            app_id="A1", enterprise_id="E0G", enterprise_name="Globex Corp", is_enterprise_install=True,
            user_id="U2", bot_token=TOKENS[1], bot_refresh_token=TOKENS[2], bot_token_expires_at=1_767_043_200,
            bot_id="B2", bot_user_id="UB2", bot_scopes="chat:write", installed_at=1_767_000_000.0))
        await db.dispose()

    asyncio.run(install())


def test_an_operator_lists_the_installations_without_their_tokens(deputy: Run) -> None:
    assert deputy("slack", "installations") == "No Slack installations (workspaces install at /slack/install)."
    _install()
    lines = deputy("slack", "installations").splitlines()
    assert [line.split()[:2] for line in lines] == [["slack:T0A", "Acme"], ["slack:E0G", "Globex"]]
    assert "workspace" in lines[0] and "rotates" not in lines[0]
    assert "org install" in lines[1] and "token rotates (expires 2025-12-29T21:20)" in lines[1]
    listed = json.loads(deputy("slack", "installations", "--json"))
    assert [(i["team"], i["name"], i["org_install"], i["bot_scopes"]) for i in listed] == [
        ("slack:T0A", "Acme", False, ["chat:write", "commands"]),
        ("slack:E0G", "Globex Corp", True, ["chat:write"])]
    for shown in ("\n".join(lines), json.dumps(listed)):
        assert not any(token in shown for token in TOKENS)
