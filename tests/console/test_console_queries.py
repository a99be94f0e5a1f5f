"""The console's run list: filters, and pages by keyset (runs numbered below the last one
shown), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.bench_console import _plan
from bot.store.console_queries import RunFilter, Team, team_runs
from bot.store.database import Database
from bot.store.tables import ActorRow, GoalRow, RunRow

TEAM = Team("slack", "T1")


async def _runs(database: Database, n: int) -> None:
    """``n`` runs of team T1; the odd ones' plans call the local integration, the even ones'
    another one, and run 3 belongs to team T2."""
    now = datetime.now(UTC)
    async with database.session(all_teams=True) as db:
        for team in ("T1", "T2"):
            db.add(ActorRow(key=f"slack:{team}:U1", platform="slack", team_id=team, user_id="U1"))
        await db.flush()
        for i in range(1, n + 1):
            team = "T2" if i == 3 else "T1"
            db.add(GoalRow(id=i, requester_key=f"slack:{team}:U1", platform="slack", team_id=team, channel_id="C1",
                           thread_id=f"{i}.0", text=f"goal {i}", status="done", team_key=f"slack:{team}"))
            await db.flush()
            for _model, row in _plan(i, team, "approved", now):
                if i % 2 == 0 and getattr(row, "action", "").startswith("local."):
                    row.action = "crm." + row.action.split(".", 1)[1]  # type: ignore[attr-defined]
                db.add(row)
                await db.flush()
            db.add(RunRow(id=i, goal_id=i, plan_version_id=i, status="succeeded", team_key=f"slack:{team}",
                          created_at=now - timedelta(minutes=n - i)))
            await db.flush()


async def _ids(database: Database, wanted: RunFilter) -> list[int]:
    async with database.session(all_teams=True) as db:
        return [run.id or 0 for run, _ in await team_runs(db, TEAM, wanted)]


async def test_pages_follow_on_by_run_number_and_keep_the_filters(database: Database) -> None:
    await _runs(database, 9)
    assert await _ids(database, RunFilter(limit=3)) == [9, 8, 7]
    assert await _ids(database, RunFilter(limit=3, before=7)) == [6, 5, 4]
    assert await _ids(database, RunFilter(limit=3, before=4)) == [2, 1]  # 3 is another team's
    assert await _ids(database, RunFilter(integration="local")) == [9, 7, 5, 1]
    assert await _ids(database, RunFilter(integration="local", limit=2, before=7)) == [5, 1]
    assert await _ids(database, RunFilter(integration="crm")) == [8, 6, 4, 2]
    assert await _ids(database, RunFilter(integration="loc")) == []  # an integration, not a prefix of one
