"""Seen from each team, the other two do not exist: what it lists in chat (open goals,
memories, "what do you remember about", monitors, connections), the credentials a run would
use, its `local` notes and invoices, and what the operator's CLI exports and verifies for it
(`deputy teams export`, `deputy audit export|verify --team`)."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.store.credentials import CredentialRow
from bot.store.monitors import MonitorRow
from integrations.local.tables import LocalNote
from tests.adapters.slack.distributed import CHANNELS
from tests.isolation.conftest import MASTER, Deployment
from tests.isolation.teams import rows_of


def listed(answer: str) -> set[int]:
    """The ids an answer lists, one per line ("#3 waiting · plan 2 v1: …")."""
    return {int(n) for n in re.findall(r"^(?:ℹ️ )?#(\d+) ", answer, flags=re.MULTILINE)}


def markers_in(text: str, deployment: Deployment) -> set[str]:
    return {t.marker for t in deployment.teams if f"for {t.marker}" in text or f"{t.marker} standups" in text}


async def test_each_team_lists_only_its_own_goals_memories_monitors_and_connections(working: Deployment) -> None:
    for team in working.teams:
        work = team.work
        assert listed(await team.ask("status")) == {work.waiting_goal}, team.key
        for question in ("memories", "what do you remember about standups"):
            answer = await team.ask(question)
            assert listed(answer) == {work.memory}, (team.key, answer)
            assert markers_in(answer, working) == {team.marker}, (team.key, answer)
        assert listed(await team.ask("monitors")) == {work.monitor}, team.key
        assert "acme (since" in await team.ask("connections")
        assert [(m.id, m.status) for m in await rows_of(team.app, team.key, MonitorRow)] == [(work.monitor, "active")]


async def test_a_teams_credentials_and_local_data_are_its_own(working: Deployment) -> None:
    vault = working.app.vault
    assert vault is not None
    for team in working.teams:
        [owner] = [c.owner_key for c in await rows_of(team.app, team.key, CredentialRow) if c.integration == "acme"]
        assert (await vault.get(owner, "acme")) == {"access_token": team.work.token}
        notes = [n.body for n in await rows_of(team.app, team.key, LocalNote)]
        assert [b for b in notes if "renewal due in May" in b] == [f"renewal due in May for {team.marker}"]


def deputy(url: str, *args: str) -> str:
    """The operator's `deputy` command on the deployment's database and master key."""
    result = CliRunner().invoke(cli, list(args), env={"DEPUTY_DATABASE_URL": url, "DEPUTY_MASTER_KEY": MASTER.entry()})
    assert result.exit_code == 0, result.output
    return result.output


async def test_the_operators_export_and_verify_of_one_team_hold_that_team_alone(
        working: Deployment, database_url: str) -> None:
    tokens = {t.work.token for t in working.teams}
    for team in working.teams:
        exported = await asyncio.to_thread(deputy, database_url, "teams", "export", team.key)
        assert markers_in(exported, working) == {team.marker}, team.key
        assert not any(token in exported for token in tokens)  # sealed, not exported
        rows = [json.loads(line) for line in exported.splitlines() if line.startswith("{")]
        assert {"goals", "plans", "approvals", "runs", "monitors", "memories", "credentials",
                "audit_log"} <= {r["table"] for r in rows}, team.key
        other_ids = {o.work.waiting_goal for o in working.others(team)}
        assert not other_ids & {r["row"]["id"] for r in rows if r["table"] == "goals"}

        audit = await asyncio.to_thread(deputy, database_url, "audit", "export", "--team", team.key)
        records = [json.loads(line) for line in audit.splitlines() if line.startswith("{")]
        assert records and {r["team"] for r in records} == {team.key}
        assert {"goal", "approve", "connect"} <= {r["kind"] for r in records}, team.key
        assert not any(o.key in audit or o.marker + " " in audit for o in working.others(team))

        verified = await asyncio.to_thread(deputy, database_url, "audit", "verify", "--team", team.key)
        assert f"{len(records)} records" in verified, verified


async def test_a_channel_shared_by_two_workspaces_lists_each_its_own(
        working: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack Connect: Acme's channel is shared with Globex and has the same id in both
    workspaces. A Globex member there sees Globex's things only, not Acme's monitor."""
    acme, globex = working.acme, working.globex
    acme.slack.api.share(acme.channel, globex.team_id)
    monkeypatch.setitem(CHANNELS, globex.team_id, acme.channel)  # Globex's requests now come from it
    assert listed(await globex.ask("monitors")) == set()
    assert listed(await globex.ask("memories")) == {globex.work.memory}
    assert listed(await globex.ask("status")) == {globex.work.waiting_goal}
    assert listed(await acme.ask("monitors")) == {acme.work.monitor}
