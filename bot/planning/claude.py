"""The Claude planner: a goal in any wording becomes a validated plan, in one model call.

The model gets the action catalogue in a stable, cached prefix and answers through one of
two tools: ``submit_plan`` (the whole plan, steps referring to earlier steps' outputs) or
``ask_question``. Plans are checked with :func:`validate_plan`; an invalid one gets exactly
one repair round with the errors, then the person gets a clear refusal and nothing runs.
No model call happens while steps execute; re-planning after a failure is a fresh call.

Retries on 429/5xx/529 (honouring ``retry-after``) and timeouts are the SDK's own, set on
the client (:func:`build_client`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal, cast

import anthropic
from anthropic.types import Message

from bot.domain import CannotPlan, Clarification, PlanDraft, PlanningOutcome
from bot.planning.claude_context import goal_message, replan_message
from bot.planning.claude_parse import (
    ModelTurn,
    ToolCall,
    add_usage,
    draft_from_input,
    empty_usage,
    read_turn,
)
from bot.planning.claude_prompt import ASK_QUESTION, SUBMIT_PLAN, StablePrefix, stable_prefix
from bot.planning.protocol import PlanningContext, ReplanRequest
from bot.planning.validation import validate_plan
from bot.registry import Manifest, Registry

log = logging.getLogger(__name__)

DEFAULT_MODEL = "claude-sonnet-5-5"
ToolChoice = Literal["auto", "any"]


def build_client(
    *,
    timeout_seconds: float = 60.0,
    max_retries: int = 3,
    api_key: str | None = None,
    base_url: str | None = None,
) -> anthropic.AsyncAnthropic:
    """An async client; without ``api_key``/``base_url`` the SDK reads ANTHROPIC_API_KEY and
    ANTHROPIC_BASE_URL itself. Retries back off exponentially and honour ``retry-after``."""
    return anthropic.AsyncAnthropic(
        api_key=api_key, base_url=base_url, timeout=timeout_seconds, max_retries=max_retries
    )


def build_claude_planner(settings: Any, registry: Registry) -> ClaudePlanner:
    """The planner as the process configures it: every loaded integration's manifest, and
    the DEPUTY_ANTHROPIC_* settings (defaults below until bot/settings.py declares them)."""
    client = build_client(
        timeout_seconds=float(getattr(settings, "anthropic_timeout_seconds", 60.0)),
        max_retries=int(getattr(settings, "anthropic_max_retries", 3)),
    )
    return ClaudePlanner(
        client,
        manifests=registry.manifests(),
        model=str(getattr(settings, "anthropic_model", DEFAULT_MODEL)),
        max_tokens=int(getattr(settings, "anthropic_max_tokens", 4096)),
        tool_choice=getattr(settings, "anthropic_tool_choice", "auto"),
    )


class _Invalid:
    """The model's answer could not be used; ``problems`` go back to it once."""

    def __init__(self, problems: list[str], call: ToolCall | None) -> None:
        self.problems = problems
        self.call = call


class ClaudePlanner:
    """Plans with Claude. ``manifests`` are all the integrations Deputy loaded; which of them
    a requester has connected is read from ``context.actions`` on each call, so the cached
    prefix is the same for everyone."""

    name = "claude"

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        *,
        manifests: Sequence[Manifest],
        model: str = DEFAULT_MODEL,
        max_tokens: int = 4096,
        tool_choice: ToolChoice = "auto",
    ) -> None:
        self._client = client
        self._manifests = list(manifests)
        self._prefix: StablePrefix = stable_prefix(self._manifests)
        self.model = model
        self._max_tokens = max_tokens
        # current Sonnet/Opus 5.5 models answer a forced tool_choice with a 400, so "auto"
        # (with the prompt requiring a tool) is the default; "any" suits older models
        self._tool_choice = {"type": tool_choice, "disable_parallel_tool_use": True}

    async def plan(self, goal: str, context: PlanningContext) -> PlanningOutcome:
        connected = self._connected(context)
        return await self._converse(goal_message(goal, context, connected), context)

    async def replan(self, request: ReplanRequest, context: PlanningContext) -> PlanningOutcome:
        connected = self._connected(context)
        return await self._converse(replan_message(request, context, connected), context)

    # ---- one conversation: a call, and at most one repair round ----------------------
    async def _converse(self, user_text: str, context: PlanningContext) -> PlanningOutcome:
        usage = empty_usage()
        messages: list[dict[str, Any]] = [{"role": "user", "content": user_text}]
        last: _Invalid | None = None
        for attempt in (1, 2):
            message = await self._call(messages)
            if isinstance(message, CannotPlan):
                return message.model_copy(update={"usage": usage})
            add_usage(usage, message)
            turn = read_turn(message)
            outcome = self._judge(turn, context)
            if not isinstance(outcome, _Invalid):
                return outcome.model_copy(update={"usage": usage})
            last = outcome
            log.info("claude plan attempt %d unusable: %d problem(s)", attempt, len(outcome.problems))
            messages += [{"role": "assistant", "content": turn.echo}, self._repair(turn, outcome)]
        assert last is not None
        return self._give_up(last, turn, usage)

    async def _call(self, messages: list[dict[str, Any]]) -> Message | CannotPlan:
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
            log.warning("anthropic answered %s (%s) after retries", err.status_code, type(err).__name__)
            return CannotPlan(message=_api_failure(err))
        except anthropic.APIConnectionError as err:
            log.warning("anthropic unreachable after retries: %s", type(err).__name__)
            return CannotPlan(
                message="I could not reach Claude to plan this (network error or timeout). "
                "Nothing was planned; please try again in a few minutes."
            )
        log.info(
            "claude call model=%s stop=%s in=%d out=%d cache_read=%s cache_write=%s",
            message.model, message.stop_reason, message.usage.input_tokens,
            message.usage.output_tokens, message.usage.cache_read_input_tokens,
            message.usage.cache_creation_input_tokens,
        )
        return message

    # ---- judging an answer -----------------------------------------------------------
    def _judge(self, turn: ModelTurn, context: PlanningContext) -> PlanDraft | Clarification | _Invalid:
        call = turn.calls[0] if turn.calls else None
        if turn.stop_reason == "max_tokens":
            return _Invalid(["the answer was cut off at the output token limit: submit a shorter plan"], call)
        if call is None:
            return _Invalid(["answer by calling submit_plan or ask_question, not with text"], None)
        if call.name == ASK_QUESTION:
            question = str(call.input.get("question", "")).strip()
            if question:
                return Clarification(question=question)
            return _Invalid(["ask_question needs a non-empty question"], call)
        if call.name != SUBMIT_PLAN:
            return _Invalid([f"unknown tool {call.name!r}: use submit_plan or ask_question"], call)
        draft = draft_from_input(call.input)
        if isinstance(draft, list):
            return _Invalid(draft, call)
        problems = self._unconnected(draft, context) + validate_plan(draft, context.actions)
        return _Invalid(problems, call) if problems else draft

    def _repair(self, turn: ModelTurn, invalid: _Invalid) -> dict[str, Any]:
        feedback = (
            "Your answer cannot be used:\n"
            + "\n".join(f"- {p}" for p in invalid.problems)
            + "\nFix every problem and call submit_plan again with the whole corrected plan, "
            "or call ask_question if you need the person to decide."
        )
        if not turn.calls:
            return {"role": "user", "content": feedback}
        # every tool_use must be answered; the one we read carries the errors
        results: list[dict[str, Any]] = []
        for call in turn.calls:
            main = invalid.call is not None and call.id == invalid.call.id
            results.append({
                "type": "tool_result",
                "tool_use_id": call.id,
                "is_error": True,
                "content": feedback if main else "Ignored: only one tool call is read per answer.",
            })
        return {"role": "user", "content": results}

    def _give_up(self, last: _Invalid, turn: ModelTurn, usage: dict[str, int]) -> PlanningOutcome:
        if not turn.calls and turn.text:
            # the model insisted on talking: pass on its words rather than hide them
            if turn.text.rstrip().endswith("?"):
                return Clarification(question=turn.text, usage=usage)
            return CannotPlan(message=turn.text, usage=usage)
        problems = "\n".join(f"• {p}" for p in last.problems[:8])
        return CannotPlan(
            message="I could not make a valid plan for this goal, even after one correction. "
            f"Problems with the last attempt:\n{problems}\n"
            "Nothing will run. Try naming the exact records, dates or people involved.",
            usage=usage,
        )

    # ---- connected integrations ------------------------------------------------------
    def _connected(self, context: PlanningContext) -> list[str]:
        return [
            m.name for m in sorted(self._manifests, key=lambda m: m.name)
            if any(context.actions.spec(f"{m.name}.{a.name}") is not None for a in m.actions)
        ]

    def _unconnected(self, draft: PlanDraft, context: PlanningContext) -> list[str]:
        return [
            f"step {n} ({s.id}): integration {s.integration!r} is not connected for this person; "
            "use a connected one or ask the person"
            for n, s in enumerate(draft.steps, start=1)
            if s.action in self._prefix.actions and context.actions.spec(s.action) is None
        ]


def _api_failure(err: anthropic.APIStatusError) -> str:
    if err.status_code in (401, 403):
        return ("Claude refused Deputy's API key. An admin should check ANTHROPIC_API_KEY. "
                "Nothing was planned.")
    if err.status_code == 429:
        return "Claude's rate limit is reached. Nothing was planned; please try again in a minute."
    if err.status_code >= 500:
        return ("Claude is overloaded or unavailable right now. Nothing was planned; "
                "please try again in a few minutes.")
    return f"Claude refused the planning request ({err.status_code}). Nothing was planned."
