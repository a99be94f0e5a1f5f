"""Fake Amazon Bedrock and Google Vertex AI endpoints for Claude, for the ``anthropic`` SDK's
``AsyncAnthropicBedrock`` and ``AsyncAnthropicVertex`` clients pointed at them by ``base_url``.

Behind the cloud's door they answer like the Messages API (the scripting, caching, token
counts and request checks of :class:`FakeAnthropic`); the door is the cloud's own:

- **Bedrock**: ``POST /model/{modelId}/invoke``. The request must carry AWS SigV4 auth
  (``Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/bedrock/aws4_request,
  SignedHeaders=…, Signature=…`` with ``X-Amz-Date``), and the signature is recomputed with
  botocore from the secret the fake was given: no header is 403 "Missing Authentication
  Token", an unknown key id 403 "The security token included in the request is invalid.", a
  wrong signature 403 "The request signature we calculated does not match…". A Bedrock API
  key (``Authorization: Bearer``) is accepted when the fake was given one. The body must
  hold ``anthropic_version`` and must not hold ``model`` (400 "Malformed input request: …
  extraneous key [model] is not permitted"). Errors are Bedrock's ``{"message": …}`` with
  ``x-amzn-ErrorType``.
- **Vertex**: ``POST /projects/{project}/locations/{region}/publishers/anthropic/models/
  {model}:rawPredict`` with ``Authorization: Bearer ACCESS_TOKEN`` (401 UNAUTHENTICATED
  otherwise, Google's error JSON); another project or region is a 404; the body must hold
  ``anthropic_version``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fakes.anthropic_api import FakeAnthropic, RecordedRequest

_SIGV4 = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


def use_fake_cloud_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment the Bedrock and Vertex clients read, with made-up credentials and
    nothing a developer's shell may carry (a session token or profile would change signing)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "fake-secret",
                        "AWS_REGION": "eu-west-1", "CLOUD_ML_REGION": "us-east5",
                        "ANTHROPIC_VERTEX_PROJECT_ID": "acme-planning"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)


def _bedrock_error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status, headers={"x-amzn-ErrorType": kind})


class FakeBedrock(FakeAnthropic):
    """``FakeBedrock(access_key=…, secret_key=…, region=…)``; ``base_url`` is the runtime URL."""

    def __init__(self, *, access_key: str = "AKIDEXAMPLE", secret_key: str = "fake-secret",
                 region: str = "us-east-1", bedrock_api_key: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._access_key, self._secret_key, self._region = access_key, secret_key, region
        self._bedrock_api_key = bedrock_api_key
        self.refusals: list[str] = []  # the messages of the 403s it answered

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/model/{model}/invoke", self._invoke)

    async def _invoke(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append(RecordedRequest(request.path, {k.lower(): v for k, v in request.headers.items()}, raw))
        refused = self._authenticate(request, raw)
        if refused is not None:
            self.refusals.append(json.loads(refused.text or "{}")["message"])
            return refused
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return _bedrock_error(400, "ValidationException", "Malformed input request, please reformat your input.")
        if "model" in body:
            return _bedrock_error(400, "ValidationException", "Malformed input request: #: extraneous key [model] "
                                  "is not permitted, please reformat your input and try again.")
        if not body.get("anthropic_version"):
            return _bedrock_error(400, "ValidationException",
                                  "Malformed input request: #: required key [anthropic_version] not found")
        return await self._answer({**body, "model": unquote(request.match_info["model"])})

    def _authenticate(self, request: web.Request, raw: bytes) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and self._bedrock_api_key is not None:
            if header.removeprefix("Bearer ") == self._bedrock_api_key:
                return None
            return _bedrock_error(403, "UnrecognizedClientException", "Invalid API Key format: Must start with pre-defined prefix")
        match = _SIGV4.match(header)
        if match is None or "x-amz-date" not in request.headers:
            return _bedrock_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        if match["key"] != self._access_key:
            return _bedrock_error(403, "UnrecognizedClientException",
                                  "The security token included in the request is invalid.")
        if match["region"] != self._region or match["service"] != "bedrock":
            return _bedrock_error(403, "InvalidSignatureException", "Credential should be scoped to a valid region.")
        if match["signature"] != self._expected_signature(request, raw, match["signed"].split(";")):
            return _bedrock_error(403, "InvalidSignatureException",
                                  "The request signature we calculated does not match the signature you provided. "
                                  "Check your AWS Secret Access Key and signing method. Consult the service "
                                  "documentation for details.")
        return None

    def _expected_signature(self, request: web.Request, raw: bytes, signed: list[str]) -> str:
        headers = {name: request.headers.get(name, "") for name in signed}
        url = f"{self.base_url}{request.raw_path}"
        aws = AWSRequest(method=request.method, url=url, headers=headers, data=raw)
        aws.context["timestamp"] = request.headers["x-amz-date"]
        signer = SigV4Auth(Credentials(self._access_key, self._secret_key), "bedrock", self._region)
        string_to_sign = signer.string_to_sign(aws, signer.canonical_request(aws))
        return str(signer.signature(string_to_sign, aws))


class FakeVertex(FakeAnthropic):
    """``FakeVertex(project=…, region=…, access_token=…)``; ``base_url`` as the client's ``base_url``."""

    def __init__(self, *, project: str = "acme-planning", region: str = "us-east5",
                 access_token: str = "ya29.fake-token", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._project, self._region, self._token = project, region, access_token

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/projects/{project}/locations/{region}/publishers/anthropic/models/{target}",
                            self._raw_predict)

    async def _raw_predict(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append(RecordedRequest(request.path, {k.lower(): v for k, v in request.headers.items()}, raw))
        if request.headers.get("Authorization", "") != f"Bearer {self._token}":
            return _google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected "
                                 "OAuth 2 access token, login cookie or other valid authentication credential.")
        model, _, method = unquote(request.match_info["target"]).rpartition(":")
        info = request.match_info
        if (info["project"], info["region"]) != (self._project, self._region) or method != "rawPredict":
            return _google_error(404, "NOT_FOUND", f"Publisher Model `projects/{info['project']}/locations/"
                                 f"{info['region']}/publishers/anthropic/models/{model}` not found.")
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return _google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        if not body.get("anthropic_version"):
            return _google_error(400, "INVALID_ARGUMENT", "anthropic_version: field required")
        return await self._answer({**body, "model": model})


def _google_error(code: int, status: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "status": status}}, status=code)
