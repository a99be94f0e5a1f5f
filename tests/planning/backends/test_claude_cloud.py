"""Claude on Amazon Bedrock and Google Vertex AI: the planner built from settings by the
factory, the SDK's own Bedrock/Vertex clients pointed at fake endpoints that check the
cloud's auth (SigV4 recomputed with botocore; a Google bearer token)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain import Clarification, PlanDraft
from bot.errors import SettingsError
from bot.planning.factory import planner_for
from bot.planning.fallback import FallbackPlanner
from bot.registry import discover
from bot.settings import Settings, load_settings
from tests.fakes.anthropic_api import tool_use
from tests.fakes.claude_cloud_api import FakeBedrock, FakeVertex
from tests.planning.test_claude import OVERDUE_PLAN, context_for

BEDROCK_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"
VERTEX_MODEL = "claude-sonnet-4-5@20250929"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    # the standard AWS credential chain, from the environment
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "ANTHROPIC_BEDROCK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def settings(tmp_path: Path, backend: str, model: str, base_url: str, **more: object) -> Settings:
    return load_settings(home=tmp_path, planner=backend, planner_model=model, planner_base_url=base_url,
                         anthropic_max_retries=0, **more)


def bedrock_planner(tmp_path: Path, api: FakeBedrock, **more: object) -> FallbackPlanner:
    planner = planner_for(settings(tmp_path, "bedrock", BEDROCK_MODEL, api.base_url, **more), discover(["local"]))
    assert isinstance(planner, FallbackPlanner)
    return planner


async def test_bedrock_plans_with_a_sigv4_signed_invoke(tmp_path: Path, aws: None) -> None:
    async with FakeBedrock(region="eu-west-1") as api:
        api.queue(tool_use("submit_plan", OVERDUE_PLAN))
        outcome = await bedrock_planner(tmp_path, api).plan("chase late payers", context_for())

    assert isinstance(outcome, PlanDraft)
    assert outcome.planned_by == f"{BEDROCK_MODEL} on bedrock"
    [request] = api.requests
    assert request.path == f"/model/{BEDROCK_MODEL}/invoke"
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/bedrock/aws4_request" in request.headers["authorization"]
    body = request.json
    assert "model" not in body and body["anthropic_version"]
    assert {t["name"] for t in body["tools"]} == {"submit_plan", "ask_question"}
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert outcome.usage["calls"] == 1 and outcome.usage["cache_write"] == api.usages[0]["cache_creation_input_tokens"]


async def test_bedrock_refuses_a_wrong_secret_and_the_rules_take_over(tmp_path: Path, aws: None) -> None:
    # (the SDK caches its boto3 session, so the fake changes its secret, not the environment)
    async with FakeBedrock(region="eu-west-1", secret_key="the-account-secret") as api:
        planner = bedrock_planner(tmp_path, api)
        direct = await planner.model.plan("chase overdue invoices", context_for())
        fallen = await planner.plan("chase overdue invoices", context_for())
    assert len(api.refusals) == 2
    assert all("request signature we calculated does not match" in r for r in api.refusals)
    assert not isinstance(direct, PlanDraft) and "the AWS credentials" in getattr(direct, "message", "")
    assert isinstance(fallen, PlanDraft)
    assert fallen.planned_by == f"the offline rules, because {BEDROCK_MODEL} on bedrock refused the request (403)"


async def test_bedrock_api_key_is_sent_as_bearer(tmp_path: Path, aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    async with FakeBedrock(region="eu-west-1", bedrock_api_key="bedrock-api-key-0123") as api:
        api.queue(tool_use("ask_question", {"question": "Which client?"}))
        outcome = await bedrock_planner(tmp_path, api, planner_api_key="bedrock-api-key-0123").plan(
            "remind them", context_for())
    assert isinstance(outcome, Clarification) and outcome.question == "Which client?"
    assert api.requests[0].headers["authorization"] == "Bearer bedrock-api-key-0123"


async def test_vertex_plans_with_a_bearer_token_on_raw_predict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    monkeypatch.setenv("ANTHROPIC_VERTEX_PROJECT_ID", "acme-planning")
    async with FakeVertex(project="acme-planning", region="us-east5", access_token="ya29.token") as api:
        api.queue(tool_use("submit_plan", OVERDUE_PLAN))
        planner = planner_for(settings(tmp_path, "vertex", VERTEX_MODEL, api.base_url, planner_api_key="ya29.token"),
                              discover(["local"]))
        outcome = await planner.plan("chase late payers", context_for())
    assert isinstance(outcome, PlanDraft) and outcome.planned_by == f"{VERTEX_MODEL} on vertex"
    [request] = api.requests
    assert request.path == f"/projects/acme-planning/locations/us-east5/publishers/anthropic/models/{VERTEX_MODEL}:rawPredict"
    assert request.headers["authorization"] == "Bearer ya29.token"
    assert "model" not in request.json and request.json["anthropic_version"]


async def test_vertex_refuses_a_wrong_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    monkeypatch.setenv("ANTHROPIC_VERTEX_PROJECT_ID", "acme-planning")
    async with FakeVertex(access_token="ya29.right") as api:
        planner = planner_for(settings(tmp_path, "vertex", VERTEX_MODEL, api.base_url, planner_api_key="ya29.wrong"),
                              discover(["local"]))
        assert isinstance(planner, FallbackPlanner)
        outcome = await planner.model.plan("chase late payers", context_for())
    assert not isinstance(outcome, PlanDraft) and "Google credentials" in getattr(outcome, "message", "")


def test_bedrock_without_aws_credentials_is_one_line(tmp_path: Path, aws: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    # no profile file, no instance role either
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(SettingsError, match="DEPUTY_PLANNER=bedrock: no AWS credentials found"):
        planner_for(settings(tmp_path, "bedrock", BEDROCK_MODEL, "http://127.0.0.1:9"), discover(["local"]))


def test_vertex_without_a_region_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUD_ML_REGION", raising=False)
    with pytest.raises(SettingsError, match="set CLOUD_ML_REGION"):
        planner_for(settings(tmp_path, "vertex", VERTEX_MODEL, ""), discover(["local"]))
