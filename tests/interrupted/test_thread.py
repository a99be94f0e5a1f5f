"""What a person sees when a write to HubSpot (no idempotency keys) is cut off after it was
sent: one note at HubSpot, never three; the step fails in the thread as "outcome unknown";
the run stops; the re-plan card says what to check before anything is sent again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.domain import CannotPlan, PlanDraft, Step
from bot.registry import discover
from bot.settings import Settings, load_settings
from bot.store import runs as runs_repo
from bot.store.database import Database
from integrations.crm.client import HubSpotClient
from tests.core.conftest import make_app
from tests.core.doubles import ScriptedPlanner
from tests.fakes.hubspot_api import FakeHubSpot
from tests.support.chat import Chat

TOKEN = "pat-na1-interrupted-0000"
HUBSPOT_ANSWERS_AFTER = 2.0


@pytest.fixture
async def hubspot() -> AsyncIterator[FakeHubSpot]:
    fake = FakeHubSpot(tokens={TOKEN})
    await fake.start()
    yield fake
    await fake.stop()  # a test that got far enough has stopped it already (stopping twice is fine)


def slow_settings(tmp_path: Path, hubspot: FakeHubSpot) -> Settings:
    # the reproduction (HubSpot answers after the client gave up, 3 tries), with room for
    # a loaded machine: the client waits 1 s (set in app_for), enough to connect and send the
    # body, so the server surely holds the write when the client gives up; HubSpot answers in
    # 2 s; the executor's own step timeout (3 s) is longer, so the client's timeout is what fires
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=3, step_attempts=3,
                         integrations=["local", "crm"], hubspot_api_url=hubspot.url)


def note_plan(company_id: str) -> PlanDraft:
    return PlanDraft(summary="Note the renewal on Acme", steps=[
        Step(id="s1", action="crm.create_note", note="Add the renewal note to Acme",
             args={"object_type": "companies", "record_id": company_id, "body": "Renewal due in May"}),
        Step(id="s2", action="crm.update_record", note="Mark Acme as renewing",
             args={"object_type": "companies", "record_id": company_id,
                   "properties": {"lifecyclestage": "customer"}}),
    ])


async def app_for(database: Database, settings: Settings, planner: ScriptedPlanner) -> Deputy:
    app = await make_app(database, settings, discover(settings.integrations), planner=planner)
    crm = app.registry.get("crm")
    assert crm is not None and isinstance(crm.client, HubSpotClient)
    crm.client.timeout = 1.0
    assert app.vault is not None
    await app.vault.put(Chat(app).user.key, "crm", {"access_token": TOKEN})
    return app


async def stored_notes(hubspot: FakeHubSpot, count: int) -> None:
    """HubSpot answers late, after the client gave up: stopping the server waits for the
    requests it still holds, then count what it stored."""
    await hubspot.stop()
    assert len(hubspot.records["notes"]) == count


async def test_a_timed_out_hubspot_note_is_stored_once_and_reported_as_unknown(
        database: Database, tmp_path: Path, hubspot: FakeHubSpot) -> None:
    acme = hubspot.add("companies", name="Acme")["id"]
    settings = slow_settings(tmp_path, hubspot)
    planner = ScriptedPlanner(note_plan(acme), CannotPlan(message="Nothing safe to propose."))
    app = await app_for(database, settings, planner)
    chat = Chat(app)
    await chat.say("note the renewal on Acme")
    hubspot.delay_seconds = HUBSPOT_ANSWERS_AFTER
    answer = await chat.say("approve")
    await app.registry.aclose()

    # the run is over, so no request can still come; HubSpot finishes the one it holds
    posts = [r for r in hubspot.requests if r[0] == "POST" and r[1] == "/crm/v3/objects/notes"]
    assert len(posts) == 1, f"the note was sent {len(posts)} times"
    await stored_notes(hubspot, 1)
    # the step failed with the reason in the thread, and the run stopped there
    assert "✗ 1. Add the renewal note to Acme" in answer
    assert "may or may not have happened" in answer and "not sent again" in answer
    assert "✗ Run 1: Stopped at step 1" in answer
    assert not [r for r in hubspot.requests if r[0] == "PATCH"]
    async with database.session(all_teams=True) as session:
        run = (await runs_repo.list_runs(session))[0]
    assert run.status == "failed" and "may or may not have happened" in (run.error or "")


async def test_the_replan_card_says_what_to_check(
        database: Database, tmp_path: Path, hubspot: FakeHubSpot) -> None:
    acme = hubspot.add("companies", name="Acme")["id"]
    settings = slow_settings(tmp_path, hubspot)
    planner = ScriptedPlanner(note_plan(acme), note_plan(acme))
    app = await app_for(database, settings, planner)
    chat = Chat(app)
    await chat.say("note the renewal on Acme")
    hubspot.delay_seconds = HUBSPOT_ANSWERS_AFTER
    answer = await chat.say("approve")
    await app.registry.aclose()
    card = answer[answer.index("Plan 1 v2"):]
    assert "Check first" in card, card
    assert "crm.create_note" in card and "Renewal due in May" in card
    assert "may already have happened" in card
    await stored_notes(hubspot, 1)
