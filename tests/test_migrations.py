"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from bot.store.database import async_url
from bot.store.memory_search import outside_the_models
from bot.store.migrate import upgrade
from bot.store.schema import import_all_tables
from tests.support import postgres


def _differences(url: str) -> list[Any]:
    async def compare() -> list[Any]:
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"include_name": outside_the_models}), SQLModel.metadata))
        await engine.dispose()
        return list(diff)

    return asyncio.run(compare())


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    import_all_tables()
    url = f"sqlite:///{tmp_path / 'm.db'}"
    asyncio.run(upgrade(url))
    assert _differences(url) == []


def test_migrations_match_the_models_on_postgresql() -> None:
    import_all_tables()
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(upgrade(url))
        assert _differences(url) == []


def _script(folder: Path, name: str, revision: str, down: str) -> None:
    (folder / "versions").mkdir(parents=True, exist_ok=True)
    (folder / "versions" / f"{name}.py").write_text(
        f'"""{name}"""\nrevision: str = {revision!r}\ndown_revision = {down}\n\n\ndef upgrade() -> None:\n    pass\n')


def test_the_heads_read_from_the_files_are_alembics_heads() -> None:
    from alembic.script import ScriptDirectory

    from bot.store.migrate import alembic_config, head_revisions

    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def test_heads_follow_branches_and_merges(tmp_path: Path) -> None:
    from bot.store.migrate import head_revisions_in

    _script(tmp_path, "a", "aaa", "None")
    _script(tmp_path, "b", "bbb", "'aaa'")
    _script(tmp_path, "c", "ccc", "'aaa'")
    assert head_revisions_in(tmp_path) == {"bbb", "ccc"}
    _script(tmp_path, "d", "ddd", "('bbb', 'ccc')")
    assert head_revisions_in(tmp_path) == {"ddd"}


def test_revisions_written_below_a_function_or_after_a_docstring_with_def_are_found(tmp_path: Path) -> None:
    """Only the header above the first function is parsed, unless it lacks the identifiers."""
    from bot.store.migrate import head_revisions_in

    _script(tmp_path, "a", "aaa", "None")
    (tmp_path / "versions" / "b.py").write_text(
        '"""b"""\n\n\ndef upgrade() -> None:\n    pass\n\n\nrevision = "bbb"\ndown_revision = "aaa"\n')
    (tmp_path / "versions" / "c.py").write_text(
        '"""c\ndef upgrade() is below"""\nrevision = "ccc"\ndown_revision = "bbb"\n\n\ndef upgrade() -> None:\n    pass\n')
    assert head_revisions_in(tmp_path) == {"ccc"}


async def _migrate_twice_and_after_a_downgrade(url: str) -> None:
    from alembic import command

    from bot.store.database import Database
    from bot.store.migrate import (
        alembic_config,
        head_revisions,
        stored_revisions,
        upgrade_if_needed,
    )

    database = Database(url)
    try:
        assert await stored_revisions(database) == frozenset()
        assert await upgrade_if_needed(database) is True
        assert await stored_revisions(database) == head_revisions()
        # the same version again: Alembic is not run
        assert await upgrade_if_needed(database) is False
        # an older database (here: nothing applied) is migrated again
        await asyncio.to_thread(command.downgrade, alembic_config(url), "base")
        assert await upgrade_if_needed(database) is True
        assert await stored_revisions(database) == head_revisions()
    finally:
        await database.dispose()


def test_alembic_runs_once_per_database_version_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    asyncio.run(_migrate_twice_and_after_a_downgrade(url))
    import_all_tables()
    assert _differences(url) == []


def test_alembic_runs_once_per_database_version_on_postgresql() -> None:
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(_migrate_twice_and_after_a_downgrade(url))
        import_all_tables()
        assert _differences(url) == []


def _channels_get_their_workspaces_team(url: str) -> list[tuple[str, str]]:
    from alembic import command
    from sqlalchemy import create_engine, text

    from bot.store.database import sync_url
    from bot.store.migrate import alembic_config

    config = alembic_config(url)
    command.upgrade(config, "e9b4c1d7a2f0")  # before slack_channels had a team
    engine = create_engine(sync_url(async_url(url)))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO slack_channels (channel_id, team_id, enterprise_id, seen_at) "
                              "VALUES ('C1', 'T1', NULL, CURRENT_TIMESTAMP), ('C2', 'T2', 'E1', CURRENT_TIMESTAMP)"))
        command.upgrade(config, "heads")
        with engine.begin() as conn:
            return [(r[0], r[1]) for r in conn.execute(
                text("SELECT channel_id, team_key FROM slack_channels ORDER BY channel_id"))]
    finally:
        engine.dispose()


def test_slack_channels_take_their_workspaces_team_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert _channels_get_their_workspaces_team(url) == [("C1", "slack:T1"), ("C2", "slack:T2")]


def test_slack_channels_take_their_workspaces_team_on_postgresql() -> None:
    with postgres.throwaway_database(postgres.server_url()) as url:
        assert _channels_get_their_workspaces_team(url) == [("C1", "slack:T1"), ("C2", "slack:T2")]


def _a_shared_channel_keeps_a_row_per_workspace(url: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(channel, workspace) rows at the head, where a Slack Connect channel has two; then after
    a downgrade past f2d004523e86, where each channel keeps the workspace heard there first."""
    from alembic import command
    from sqlalchemy import create_engine, exc, text

    from bot.store.database import sync_url
    from bot.store.migrate import alembic_config

    config = alembic_config(url)
    command.upgrade(config, "heads")
    engine = create_engine(sync_url(async_url(url)))
    rows = "SELECT channel_id, team_id FROM slack_channels ORDER BY channel_id, team_id"
    try:
        with engine.begin() as conn:
            for channel, team, at in (("C1", "T2", "2026-12-01 10:00:00"), ("C1", "T1", "2026-12-02 10:00:00"),
                                      ("C2", "T2", "2026-12-01 10:00:00")):
                conn.execute(text("INSERT INTO slack_channels (channel_id, team_id, team_key, seen_at) "
                                  "VALUES (:c, :t, :k, :at)"), {"c": channel, "t": team, "k": f"slack:{team}", "at": at})
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO slack_channels (channel_id, team_id, team_key, seen_at) "
                                  "VALUES ('C1', 'T1', 'slack:T1', CURRENT_TIMESTAMP)"))
            raise AssertionError("the same workspace twice in one channel was stored")
        except exc.IntegrityError:
            pass
        with engine.begin() as conn:
            at_head = [(r[0], r[1]) for r in conn.execute(text(rows))]
        command.downgrade(config, "62d83908dece")
        with engine.begin() as conn:
            before = [(r[0], r[1]) for r in conn.execute(text(rows))]
        command.upgrade(config, "heads")
        return at_head, before
    finally:
        engine.dispose()


SHARED = ([("C1", "T1"), ("C1", "T2"), ("C2", "T2")], [("C1", "T2"), ("C2", "T2")])


def test_a_shared_slack_channel_has_a_row_per_workspace_on_sqlite(tmp_path: Path) -> None:
    assert _a_shared_channel_keeps_a_row_per_workspace(f"sqlite:///{tmp_path / 'm.db'}") == SHARED


def test_a_shared_slack_channel_has_a_row_per_workspace_on_postgresql() -> None:
    with postgres.throwaway_database(postgres.server_url()) as url:
        assert _a_shared_channel_keeps_a_row_per_workspace(url) == SHARED
