"""The Claude planner: a goal in any wording becomes a validated plan, in one model call.

The model gets the action catalogue in a stable, cached prefix and answers through one of
two tools: ``submit_plan`` (the whole plan, steps referring to earlier steps' outputs) or
``ask_question``. The contract (validation, one repair round, usage) is
:class:`~bot.planning.model_planner.ModelPlanner`'s; this module speaks the Messages API,
for Anthropic's own API and for Claude on Amazon Bedrock and Google Vertex AI (the SDK's
``AsyncAnthropicBedrock`` and ``AsyncAnthropicVertex`` clients take the same calls).

Retries on 429/5xx/529 (honouring ``retry-after``) and timeouts are the SDK's own, set on
the client (:func:`build_client`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal, cast

import anthropic

from bot.planning.claude_context import UserMessage
from bot.planning.claude_parse import ModelTurn, ToolCall, read_turn
from bot.planning.model_planner import ModelFailure, ModelPlanner
from bot.registry import Manifest, Registry
from bot.settings import Settings

log = logging.getLogger(__name__)

ToolChoice = Literal["auto", "any"]
# the constructor's defaults are the settings' (Settings is the one place defaults are written)
DEFAULT_MODEL: str = Settings.model_fields["anthropic_model"].default
DEFAULT_MAX_TOKENS: int = Settings.model_fields["anthropic_max_tokens"].default
DEFAULT_TOOL_CHOICE: ToolChoice = Settings.model_fields["anthropic_tool_choice"].default
ClaudeClient = anthropic.AsyncAnthropic | anthropic.AsyncAnthropicBedrock | anthropic.AsyncAnthropicVertex


def build_client(
    *,
    timeout_seconds: float,
    max_retries: int,
    api_key: str | None = None,
    base_url: str | None = None,
) -> anthropic.AsyncAnthropic:
    """An async client; without ``api_key``/``base_url`` the SDK reads ANTHROPIC_API_KEY and
    ANTHROPIC_BASE_URL itself. Retries back off exponentially and honour ``retry-after``."""
    return anthropic.AsyncAnthropic(
        api_key=api_key, base_url=base_url, timeout=timeout_seconds, max_retries=max_retries
    )


def build_claude_planner(settings: Settings, registry: Registry) -> ClaudePlanner:
    """The planner as the process configures it: every loaded integration's manifest, and
    the ANTHROPIC_API_KEY / DEPUTY_ANTHROPIC_* / DEPUTY_PLANNER_* settings."""
    key = settings.planner_api_key or settings.anthropic_api_key
    client = build_client(
        timeout_seconds=settings.anthropic_timeout_seconds,
        max_retries=settings.anthropic_max_retries,
        api_key=key.get_secret_value() if key is not None else None,
        base_url=settings.planner_base_url or None,
    )
    return ClaudePlanner(
        client,
        manifests=registry.manifests(),
        model=settings.planner_model or settings.anthropic_model,
        max_tokens=settings.anthropic_max_tokens,
        tool_choice=settings.anthropic_tool_choice,
    )


class ClaudePlanner(ModelPlanner):
    """Plans with Claude through the Messages API."""

    name = "claude"
    backend = "anthropic"
    # what an admin checks when the API refuses the credentials
    credentials_hint = "ANTHROPIC_API_KEY"

    def __init__(
        self,
        client: ClaudeClient,
        *,
        manifests: Sequence[Manifest],
        model: str = DEFAULT_MODEL,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        tool_choice: ToolChoice = DEFAULT_TOOL_CHOICE,
        backend: str = "anthropic",
        credentials_hint: str = "ANTHROPIC_API_KEY",
        credential_errors: tuple[type[Exception], ...] = (),
    ) -> None:
        super().__init__(manifests=manifests, model=model)
        self._client = client
        self._max_tokens = max_tokens
        self.backend = backend
        self.credentials_hint = credentials_hint
        # what a cloud's credential library raises when it gets no token (google-auth's
        # RefreshError on Vertex): a clear refusal, not a crash
        self._credential_errors = credential_errors
        # current Sonnet/Opus 5.5 models answer a forced tool_choice with a 400, so "auto"
        # (with the prompt requiring a tool) is the default; "any" suits older models
        self._tool_choice = {"type": tool_choice, "disable_parallel_tool_use": True}

    async def aclose(self) -> None:
        await self._client.close()

    def _first_messages(self, user: UserMessage) -> list[dict[str, Any]]:
        if not user.team:
            return [{"role": "user", "content": user.goal}]
        # a second breakpoint after the team's directory: a team's goals read it from the
        # cache too (people and clients are most of what varies between deployments)
        return [{"role": "user", "content": [
            {"type": "text", "text": user.team, "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": user.goal}]}]

    async def _call(self, messages: list[dict[str, Any]]) -> ModelTurn | ModelFailure:
        try:
            message = await self._client.messages.create(
                model=self.model,
                max_tokens=self._max_tokens,
                # plain dicts in the API's wire shape; the SDK's TypedDicts describe the same
                system=cast(Any, self._prefix.system),
                tools=cast(Any, self._prefix.tools),
                tool_choice=cast(Any, self._tool_choice),
                messages=cast(Any, messages),
            )
        except anthropic.APIStatusError as err:
            # the SDK already retried 408/409/429/5xx/529; say what happened, never the body
            log.warning("%s answered %s (%s) after retries", self.backend, err.status_code, type(err).__name__)
            return ModelFailure(message=_api_failure(err, self.credentials_hint),
                                reason=f"{self.label} refused the request ({err.status_code})")
        except self._credential_errors as err:
            log.warning("%s: no token from the credentials (%s)", self.backend, type(err).__name__)
            return ModelFailure(
                message=f"Deputy could not get a token from its credentials for {self.backend}. An admin "
                f"should check {self.credentials_hint}. Nothing was planned.",
                reason=f"{self.label} could not get a token from its credentials")
        except anthropic.APIConnectionError as err:  # includes the SDK's timeout
            log.warning("%s unreachable after retries: %s", self.backend, type(err).__name__)
            what = "timed out" if isinstance(err, anthropic.APITimeoutError) else "could not be reached"
            return ModelFailure(
                message=f"The planning model ({self.label}) {what}. Nothing was planned; "
                "please try again in a few minutes.",
                reason=f"{self.label} {what}",
            )
        log.info(
            "claude call backend=%s model=%s stop=%s in=%d out=%d cache_read=%s cache_write=%s",
            self.backend, message.model, message.stop_reason, message.usage.input_tokens,
            message.usage.output_tokens, message.usage.cache_read_input_tokens,
            message.usage.cache_creation_input_tokens,
        )
        return read_turn(message)

    def _repair(self, turn: ModelTurn, feedback: str, main: ToolCall | None) -> list[dict[str, Any]]:
        echo = {"role": "assistant", "content": turn.echo}
        if not turn.calls:
            return [echo, {"role": "user", "content": feedback}]
        # every tool_use must be answered; the one we read carries the errors
        results = [
            {
                "type": "tool_result",
                "tool_use_id": call.id,
                "is_error": True,
                "content": feedback if main is not None and call.id == main.id
                else "Ignored: only one tool call is read per answer.",
            }
            for call in turn.calls
        ]
        return [echo, {"role": "user", "content": results}]


def _api_failure(err: anthropic.APIStatusError, credentials: str) -> str:
    if err.status_code in (401, 403):
        return (f"Claude refused Deputy's credentials. An admin should check {credentials}. "
                "Nothing was planned.")
    if err.status_code == 429:
        return "Claude's rate limit is reached. Nothing was planned; please try again in a minute."
    if err.status_code >= 500:
        return ("Claude is overloaded or unavailable right now. Nothing was planned; "
                "please try again in a few minutes.")
    return f"Claude refused the planning request ({err.status_code}). Nothing was planned."
