"""Everything of one team counted, exported and deleted, and nothing of another team, on
SQLite and PostgreSQL. Generic over the tables carrying a team (bot/store/team_data.py)."""

from __future__ import annotations

import json

import pytest

from bot.store import team_data, teams
from bot.store.database import Database
from bot.store.teams import TeamStatus
from tests.support.team_checker import TeamChecker
from tests.teams.seed import seed_team

A, B = "discord:1100000000000000002", "slack:T0B"


async def _counts(db: Database, key: str) -> dict[str, int]:
    async with db.session(team=key) as session:
        return {t: n for t, n in (await team_data.counts(session, key)).items() if n}


async def test_a_team_row_is_made_once_keeps_its_settings_and_changes_status(database: Database) -> None:
    async with database.session(all_teams=True) as session:
        row, created = await teams.ensure(session, A, "Acme")
        assert created and (row.platform, row.external_id, row.status) == ("discord", A[8:], "active")
        await teams.set_settings(session, row, {"digest_channel": "42"})
    async with database.session(all_teams=True) as session:
        row, created = await teams.ensure(session, A, "Acme Corp")
        assert not created and row.name == "Acme Corp" and row.settings == {"digest_channel": "42"}
        await teams.set_status(session, row, TeamStatus.DISABLED)
        with pytest.raises(ValueError, match="unknown team status 'gone'"):
            await teams.set_status(session, row, "gone")
    async with database.session(all_teams=True) as session:
        assert [(r.key, r.status) for r in await teams.listing(session)] == [(A, "disabled")]
        with pytest.raises(ValueError, match="is not a team key"):
            await teams.ensure(session, "acme")


async def test_counts_export_and_delete_touch_one_team_only(database: Database, team_checked: TeamChecker) -> None:
    await seed_team(database, A, "Acme")
    await seed_team(database, B, "Globex")
    expected = {"actors": 1, "goals": 1, "memories": 1, "episodes": 1, "autopilot_trust": 1, "teams": 1}
    assert await _counts(database, A) == expected
    assert await _counts(database, B) == expected

    async with database.session(team=A) as session:
        lines = [json.loads(line) async for line in team_data.export_lines(session, A)]
    assert lines[0]["table"] == "teams" and lines[0]["row"]["key"] == A
    assert sorted({line["table"] for line in lines}) == sorted(expected)
    assert B not in json.dumps(lines) and "Globex" not in json.dumps(lines)
    assert any(line["row"].get("text") == f"standups of {A} are 15 minutes" for line in lines)

    async with database.session(team=A) as session:
        deleted = await team_data.delete_all(session, A)
    assert {t: n for t, n in deleted.items() if n} == expected
    assert list(deleted)[-1] == "teams"  # the team's own row last
    assert await _counts(database, A) == {}
    assert await _counts(database, B) == expected


def test_credentials_go_first_and_sealed_bytes_are_never_exported() -> None:
    order = team_data.deletion_order()
    sealed = [t.name for t in order if team_data.holds_secrets(t)]
    assert [t.name for t in order[:len(sealed)]] == sealed
    # children before parents: a goal's rows go before the goal, the goal before its actor
    names = [t.name for t in order]
    assert names.index("goals") < names.index("actors")
    credentials = next(t for t in team_data.SQLModel.metadata.sorted_tables if t.name == "credentials")
    assert team_data._plain(credentials, "payload", b"\x00secret") == team_data.SEALED
