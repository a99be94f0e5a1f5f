"""A credential is its owner's team's: a person's, and a Slack workspace's installation tokens,
are read, listed, replaced and deleted only in that team's session (SQLite and PostgreSQL)."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import Installation
from sqlmodel import select

from bot.adapters.slack.installs import DeputyInstallationStore, OnLoop, owner_of
from bot.store.credentials import CredentialRow
from bot.store.database import Database
from bot.store.slack_installs import SlackInstallationRow
from bot.vault import CredentialStore
from tests.support.team_checker import TeamChecker

# the same user id in two Slack workspaces and a Discord server: three people of three teams
ANN_T1 = "slack:T1:U1"
ANN_T2 = "slack:T2:U1"
ANN_G3 = "discord:G3:U1"


async def _teams_of_rows(database: Database) -> dict[str, str]:
    async with database.session(all_teams=True) as s:
        return {row.owner_key: row.team_key for row in (await s.exec(select(CredentialRow))).all()}


async def test_each_persons_credential_is_stamped_with_and_kept_in_their_team(
        store: CredentialStore, database: Database, team_checked: TeamChecker) -> None:
    for owner in (ANN_T1, ANN_T2, ANN_G3):
        await store.put(owner, "crm", {"token": f"secret-of-{owner}"})
    assert await _teams_of_rows(database) == {ANN_T1: "slack:T1", ANN_T2: "slack:T2", ANN_G3: "discord:G3"}
    for owner in (ANN_T1, ANN_T2, ANN_G3):
        assert await store.get(owner, "crm") == {"token": f"secret-of-{owner}"}
    # one team disconnecting leaves the others' credential alone
    assert await store.delete(ANN_T2, "crm") is True
    assert await store.get(ANN_T2, "crm") is None
    assert await store.get(ANN_T1, "crm") == {"token": f"secret-of-{ANN_T1}"}
    assert [c.integration for c in await store.list_for(ANN_G3)] == ["crm"]
    assert team_checked.checked > 0


async def test_a_credential_row_of_another_team_is_not_found_by_its_owner_key(
        store: CredentialStore, database: Database, team_checked: TeamChecker) -> None:
    """The owner key names the team, but the team's session is what finds the row: a row
    that says it is team T2's is not read, listed, replaced or deleted for a T1 person."""
    await store.put(ANN_T1, "crm", {"token": "t1-secret"})
    async with database.session(all_teams=True) as s:
        row = (await s.exec(select(CredentialRow).where(CredentialRow.owner_key == ANN_T1))).one()
        row.team_key = "slack:T2"
    assert await store.get(ANN_T1, "crm") is None
    assert await store.list_for(ANN_T1) == []
    assert await store.delete(ANN_T1, "crm") is False
    async with database.session(team="slack:T2") as s:
        assert (await s.exec(select(CredentialRow))).one().owner_key == ANN_T1  # still there, untouched


def _installation(team: str, token: str) -> Installation:
    return Installation(app_id="A1", team_id=team, team_name=f"Team {team}", user_id="U0",
                        bot_token=token, bot_id=f"B{team}", bot_user_id=f"UB{team}", bot_scopes=["chat:write"],
                        installed_at=1_700_000_000.0)


async def test_slack_installation_tokens_are_each_workspaces_own(
        store: CredentialStore, database: Database, team_checked: TeamChecker) -> None:
    installs = DeputyInstallationStore(database, store, OnLoop())
    await installs.async_save(_installation("T1", "xoxb-one"))
    await installs.async_save(_installation("T2", "xoxb-two"))
    # the tokens are sealed in the vault under each workspace's own team
    assert await _teams_of_rows(database) == {owner_of(":T1"): "slack:T1", owner_of(":T2"): "slack:T2"}
    async with database.session(all_teams=True) as s:
        rows = {r.install_key: r.team_key for r in (await s.exec(select(SlackInstallationRow))).all()}
    assert rows == {":T1": "slack:T1", ":T2": "slack:T2"}
    one = await installs.async_find_bot(enterprise_id=None, team_id="T1")
    two = await installs.async_find_bot(enterprise_id=None, team_id="T2")
    assert one is not None and one.bot_token == "xoxb-one"
    assert two is not None and two.bot_token == "xoxb-two"
    # a person of T1 holds no credential named like T2's installation, and cannot read it
    assert await store.list_for(ANN_T1) == []
    # uninstalling T1 deletes T1's tokens only
    await installs.async_delete_all(enterprise_id=None, team_id="T1")
    assert await installs.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await store.get(owner_of(":T1"), "slack") is None
    again = await installs.async_find_bot(enterprise_id=None, team_id="T2")
    assert again is not None and again.bot_token == "xoxb-two"
