"""Claude through a cloud account: Amazon Bedrock and Google Vertex AI, with the ``anthropic``
SDK's own clients. The requests are the Messages API's (same prompt, catalogue, tools and
``cache_control`` breakpoint); the clients move the model into the URL and authenticate the
cloud's way:

- **Bedrock** (``AsyncAnthropicBedrock``): ``POST {base}/model/{model}/invoke``, signed with
  AWS SigV4 from the standard AWS credential chain (environment, profile, instance role;
  region from ``AWS_REGION``), or ``Authorization: Bearer`` with a Bedrock API key
  (DEPUTY_PLANNER_API_KEY or ``AWS_BEARER_TOKEN_BEDROCK``).
- **Vertex** (``AsyncAnthropicVertex``): ``POST {base}/projects/{project}/locations/{region}/
  publishers/anthropic/models/{model}:rawPredict`` with ``Authorization: Bearer`` from Google
  application-default credentials (or an access token in DEPUTY_PLANNER_API_KEY); region from
  ``CLOUD_ML_REGION``, project from ``ANTHROPIC_VERTEX_PROJECT_ID``.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import anthropic

from bot.errors import SettingsError
from bot.planning.claude import ClaudePlanner
from bot.registry import Registry
from bot.settings import Settings

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


def _key(settings: Settings) -> str | None:
    key = settings.planner_api_key
    return key.get_secret_value() if key is not None else None


def bedrock_client(settings: Settings) -> anthropic.AsyncAnthropicBedrock:
    key = _key(settings)
    if key is None and not os.environ.get("AWS_BEARER_TOKEN_BEDROCK") and importlib.util.find_spec("botocore") is None:
        raise SettingsError("DEPUTY_PLANNER=bedrock: signing with AWS credentials needs boto3 "
                            "(pip install 'deputy[bedrock]'), or set DEPUTY_PLANNER_API_KEY to a Bedrock API key")
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")) and importlib.util.find_spec("boto3") is None:
        raise SettingsError("DEPUTY_PLANNER=bedrock: set AWS_REGION (e.g. us-east-1)")
    if key is None and not os.environ.get("AWS_BEARER_TOKEN_BEDROCK") and not _aws_credentials_found():
        # the SDK would fail every planning call with a RuntimeError: say it once, at start
        raise SettingsError("DEPUTY_PLANNER=bedrock: no AWS credentials found (AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role), or set "
                            "DEPUTY_PLANNER_API_KEY to a Bedrock API key")
    return anthropic.AsyncAnthropicBedrock(
        api_key=key, base_url=settings.planner_base_url or None,
        timeout=settings.anthropic_timeout_seconds, max_retries=settings.anthropic_max_retries,
    )


def _aws_credentials_found() -> bool:
    """The standard AWS chain (environment, profile, SSO, instance role) gives credentials."""
    if importlib.util.find_spec("boto3") is None:
        return True  # botocore alone: the SDK says what it misses
    import boto3

    return boto3.Session().get_credentials() is not None


def vertex_client(settings: Settings) -> anthropic.AsyncAnthropicVertex:
    if not os.environ.get("CLOUD_ML_REGION"):
        raise SettingsError("DEPUTY_PLANNER=vertex: set CLOUD_ML_REGION (e.g. us-east5 or global)")
    key = _key(settings)
    if key is not None and not os.environ.get("ANTHROPIC_VERTEX_PROJECT_ID"):
        raise SettingsError("DEPUTY_PLANNER=vertex: set ANTHROPIC_VERTEX_PROJECT_ID (with an access token "
                            "the project cannot be read from the credentials)")
    credentials, project = google_credentials() if key is None else (None, None)
    return anthropic.AsyncAnthropicVertex(
        # with an access token the SDK reads the project from ANTHROPIC_VERTEX_PROJECT_ID itself
        access_token=key, credentials=credentials, project_id=project or anthropic.NOT_GIVEN,
        base_url=settings.planner_base_url or None,
        timeout=settings.anthropic_timeout_seconds, max_retries=settings.anthropic_max_retries,
    )


def google_credentials() -> tuple[Any, str]:  # google-auth's Credentials: an optional dependency
    """Google's application-default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's
    application-default login, the metadata server) and their project, read once at start:
    the SDK would resolve the project only after building the first request's URL. No token
    is fetched here; the SDK fetches and refreshes it on the first call."""
    try:
        import google.auth
        import google.auth.exceptions
    except ImportError as err:
        raise SettingsError("DEPUTY_PLANNER=vertex: Google credentials need google-auth "
                            "(pip install 'deputy[vertex]'), or set DEPUTY_PLANNER_API_KEY to an access token") from err
    try:
        credentials, project = google.auth.default(scopes=[CLOUD_PLATFORM])
    except google.auth.exceptions.DefaultCredentialsError as err:
        raise SettingsError("DEPUTY_PLANNER=vertex: no Google credentials found (set GOOGLE_APPLICATION_CREDENTIALS "
                            "to a service-account key file, or run `gcloud auth application-default login`), "
                            "or set DEPUTY_PLANNER_API_KEY to an access token") from err
    project = os.environ.get("ANTHROPIC_VERTEX_PROJECT_ID") or project
    if not project:
        raise SettingsError("DEPUTY_PLANNER=vertex: set ANTHROPIC_VERTEX_PROJECT_ID (the Google credentials name no project)")
    return credentials, project


def credential_errors(backend: str) -> tuple[type[Exception], ...]:
    """What the cloud's credential library raises when it cannot get a token."""
    if backend != "vertex" or importlib.util.find_spec("google") is None:
        return ()
    import google.auth.exceptions

    return (google.auth.exceptions.GoogleAuthError,)


def build_cloud_planner(settings: Settings, registry: Registry, backend: str) -> ClaudePlanner:
    if backend == "bedrock":
        client: anthropic.AsyncAnthropicBedrock | anthropic.AsyncAnthropicVertex = bedrock_client(settings)
        hint = "the AWS credentials (or DEPUTY_PLANNER_API_KEY) and the model's access in Bedrock"
    else:
        client = vertex_client(settings)
        hint = "the Google credentials (or DEPUTY_PLANNER_API_KEY) and ANTHROPIC_VERTEX_PROJECT_ID"
    return ClaudePlanner(
        client, manifests=registry.manifests(), model=settings.planner_model,
        max_tokens=settings.anthropic_max_tokens, tool_choice=settings.anthropic_tool_choice,
        backend=backend, credentials_hint=hint, credential_errors=credential_errors(backend),
    )
