"""A process asked to post to a platform it has no settings for (a worker started without
SLACK_BOT_TOKEN) never skips silently: an error names the goal and channel, and /readyz
says the process is not ready for that platform."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import Deputy
from bot.chat.events import GoalPosted
from bot.dispatch import dispatch
from bot.domain import Actor, Where
from bot.execution.worker import Worker

ANA = Actor(platform="slack", team_id="T0001", user_id="U0ANA", display_name="Ana")


async def test_a_run_for_an_unconfigured_platform_is_an_error_and_not_ready(
        deputy: Deputy, ops_client: TestClient[web.Request, web.Application],
        caplog: pytest.LogCaptureFixture) -> None:
    ready = await ops_client.get("/readyz")
    assert ready.status == 200
    # a read-only goal runs at once: plan card, then the run's progress and result
    await dispatch(deputy, GoalPosted(actor=ANA, where=Where(platform="slack", channel_id="C0FIN"),
                                     text="what's overdue?", event_id="Ev1", message_id="1760000100.000100"))
    with caplog.at_level(logging.ERROR):
        assert await Worker(deputy).drain() == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("post a RunResult for goal 1 in channel C0FIN" in e and "set SLACK_BOT_TOKEN" in e
               for e in errors), errors

    ready = await ops_client.get("/readyz")
    assert ready.status == 503
    body = await ready.json()
    assert body["checks"] == {"database": True, "slack": False}
    assert body["undelivered"]["slack"]["count"] >= 2  # the plan card and the result at least
    assert "RunResult for goal 1 in channel C0FIN" in body["undelivered"]["slack"]["last"]


async def test_a_notice_names_its_goal_through_its_thread(
        deputy: Deputy, caplog: pytest.LogCaptureFixture) -> None:
    from bot.chat.replies import Notice
    from bot.store import goals

    async with deputy.database.session(all_teams=True) as session:
        await goals.upsert_actor(session, ANA)
        goal = await goals.create_goal(session, ANA, Where(platform="slack", channel_id="C0FIN"),
                                       "chase overdue invoices", "Ev2")
        assert goal is not None
        goal.thread_id = "1760000100.000100"
        session.add(goal)
    where = Where(platform="slack", channel_id="C0FIN", thread_id="1760000100.000100")
    with caplog.at_level(logging.ERROR):
        await deputy.port("slack").post(where, Notice("Reminder: plan 1 waits for approval"))
    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert f"post a Notice for goal {goal.id} in channel C0FIN thread 1760000100.000100" in error
