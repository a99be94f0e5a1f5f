"""Claude on Vertex with Google's standard credential chain: no token in the settings, a
service-account key file in GOOGLE_APPLICATION_CREDENTIALS (the chain's first step), the
real ``google-auth`` trading a signed JWT for an access token at the file's ``token_uri`` —
a fake Google token endpoint on 127.0.0.1 that checks the JWT's signature — and the SDK's
``AsyncAnthropicVertex`` calling the fake Vertex endpoint with that token. Nothing leaves
the machine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain import PlanDraft
from bot.errors import SettingsError
from bot.planning.factory import planner_for
from bot.planning.fallback import FallbackPlanner
from bot.registry import discover
from bot.settings import load_settings
from tests.fakes.anthropic_api import tool_use
from tests.fakes.claude_cloud_api import FakeVertex
from tests.fakes.google_oauth import FakeGoogleToken
from tests.planning.test_claude import OVERDUE_PLAN, context_for

pytest.importorskip("google.auth", reason="the vertex extra (google-auth) is part of the test extras")

MODEL = "claude-sonnet-4-5@20250929"
TOKEN = "ya29.c.from-the-fake-token-endpoint"


@pytest.fixture
async def google(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[FakeGoogleToken]:
    async with FakeGoogleToken(access_token=TOKEN) as fake:
        key_file = fake.write_key_file(tmp_path / "deputy-planner-sa.json", project="acme-planning")
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
        monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
        # the project comes from the key file; nothing else of Google's chain is in play
        for name in ("ANTHROPIC_VERTEX_PROJECT_ID", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT",
                     "CLOUDSDK_CONFIG", "GCE_METADATA_HOST", "GCE_METADATA_IP"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("NO_GCE_CHECK", "True")  # never probe a metadata server
        yield fake


def vertex_planner(tmp_path: Path, vertex: FakeVertex) -> FallbackPlanner:
    settings = load_settings(home=tmp_path / "home", planner="vertex", planner_model=MODEL,
                             planner_base_url=vertex.base_url, anthropic_max_retries=0)
    planner = planner_for(settings, discover(["local"]))
    assert isinstance(planner, FallbackPlanner)
    return planner


async def test_a_service_account_key_file_gets_the_token_vertex_accepts(
        tmp_path: Path, google: FakeGoogleToken) -> None:
    async with FakeVertex(project="acme-planning", region="us-east5", access_token=TOKEN) as vertex:
        vertex.queue(tool_use("submit_plan", OVERDUE_PLAN), tool_use("submit_plan", OVERDUE_PLAN))
        planner = vertex_planner(tmp_path, vertex)
        first = await planner.plan("chase late payers", context_for())
        second = await planner.plan("chase late payers", context_for())
    assert isinstance(first, PlanDraft) and first.planned_by == f"{MODEL} on vertex"
    assert isinstance(second, PlanDraft)
    # one JWT-bearer grant, signed with the file's key, for the cloud-platform scope; the
    # token is reused for the next call
    assert len(google.grants) == 1 and google.refusals == []
    grant = google.grants[0]
    assert grant["iss"] == google.client_email and grant["aud"] == "https://oauth2.googleapis.com/token"
    assert "https://www.googleapis.com/auth/cloud-platform" in grant["scope"].split()
    assert [r.headers["authorization"] for r in vertex.requests] == [f"Bearer {TOKEN}"] * 2
    # the project was read from the key file
    assert vertex.requests[0].path == (
        f"/projects/acme-planning/locations/us-east5/publishers/anthropic/models/{MODEL}:rawPredict")


async def test_a_refused_grant_is_one_clear_message_and_the_rules_take_over(
        tmp_path: Path, google: FakeGoogleToken) -> None:
    google.client_email = "someone-else@acme-planning.iam.gserviceaccount.com"  # the key's account is unknown
    async with FakeVertex(project="acme-planning", region="us-east5", access_token=TOKEN) as vertex:
        planner = vertex_planner(tmp_path, vertex)
        outcome = await planner.plan("chase overdue invoices", context_for())
    assert google.refusals == ["Invalid grant: account not found"]
    assert vertex.requests == []  # no token, no call
    assert isinstance(outcome, PlanDraft)
    assert outcome.planned_by == (f"the offline rules, because {MODEL} on vertex could not get a token "
                                  "from its credentials")


def test_no_google_credentials_anywhere_is_one_line_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # no application-default login here
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # and no metadata server
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    settings = load_settings(home=tmp_path / "home", planner="vertex", planner_model=MODEL,
                             planner_base_url="http://127.0.0.1:9")
    with pytest.raises(SettingsError, match="DEPUTY_PLANNER=vertex: no Google credentials found"):
        planner_for(settings, discover(["local"]))
