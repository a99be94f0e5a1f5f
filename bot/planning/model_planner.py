"""The planning contract every model backend keeps, whatever API it speaks.

One call per goal: the stable prefix (system prompt, action catalogue, the ``submit_plan``
and ``ask_question`` tools) then the per-goal user message. The answer is checked against
the action schemas and the requester's connected integrations; an unusable answer gets
exactly one repair round with the problems, then the person gets a clear refusal. Tokens
of every call are summed into the outcome's ``usage``.

A backend subclass only translates: it builds the first messages, makes one call and reads
it into a :class:`ModelTurn`, and writes the repair round in its API's shape.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from bot.domain import CannotPlan, Clarification, PlanDraft, PlanningOutcome
from bot.planning.claude_context import UserMessage, goal_message
from bot.planning.claude_parse import ModelTurn, ToolCall, draft_from_input, empty_usage
from bot.planning.claude_prompt import ASK_QUESTION, SUBMIT_PLAN, StablePrefix, stable_prefix
from bot.planning.protocol import PlanningContext, ReplanRequest
from bot.planning.replan_context import replan_message
from bot.planning.replan_keep import expand_kept, has_kept
from bot.planning.validation import validate_plan
from bot.registry import Manifest

log = logging.getLogger(__name__)


class ModelFailure(CannotPlan):
    """The model gave nothing usable (no reachable API, plain text, malformed tool calls, an
    invalid plan twice). ``reason`` is one short clause for people ("timed out"); a
    :class:`~bot.planning.fallback.FallbackPlanner` may hand the goal to the rules instead."""

    reason: str = ""


class Invalid:
    """The model's answer could not be used; ``problems`` go back to it once."""

    def __init__(self, problems: list[str], call: ToolCall | None) -> None:
        self.problems = problems
        self.call = call


class ModelPlanner(ABC):
    """Plans with one model behind one API. ``manifests`` are all the integrations Deputy
    loaded; which of them a requester has connected is read from ``context.actions`` on each
    call, so the stable prefix is the same for everyone."""

    name = "model"
    backend = "model"

    def __init__(self, *, manifests: Sequence[Manifest], model: str) -> None:
        self._manifests = list(manifests)
        self._prefix: StablePrefix = stable_prefix(self._manifests)
        self.model = model

    @property
    def label(self) -> str:
        """Who planned, as the card says it: ``llama3.1:8b on openai-compatible``."""
        return f"{self.model} on {self.backend}"

    async def plan(self, goal: str, context: PlanningContext) -> PlanningOutcome:
        return await self._converse(goal_message(goal, context, self._connected(context)), context, None)

    async def replan(self, request: ReplanRequest, context: PlanningContext) -> PlanningOutcome:
        return await self._converse(replan_message(request, context, self._connected(context)), context, request)

    # ---- what a backend provides -------------------------------------------------------
    @abstractmethod
    def _first_messages(self, user: UserMessage) -> list[dict[str, Any]]:
        """The conversation of the first call (the stable prefix goes first, then the team's part)."""

    @abstractmethod
    async def _call(self, messages: list[dict[str, Any]]) -> ModelTurn | ModelFailure:
        """One API call, read into a turn; a failure the SDK could not retry away."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close the SDK client and its HTTP connections (the app's close calls it)."""

    @abstractmethod
    def _repair(self, turn: ModelTurn, feedback: str, main: ToolCall | None) -> list[dict[str, Any]]:
        """The messages that echo ``turn`` and answer it with ``feedback``."""

    # ---- one conversation: a call, and at most one repair round ----------------------
    async def _converse(self, user: UserMessage, context: PlanningContext,
                        request: ReplanRequest | None) -> PlanningOutcome:
        usage = empty_usage()
        messages = self._first_messages(user)
        last: Invalid | None = None
        turn: ModelTurn | None = None
        for attempt in (1, 2):
            answer = await self._call(messages)
            if isinstance(answer, ModelFailure):
                return answer.model_copy(update={"usage": usage})
            turn = answer
            for key, value in turn.usage.items():
                usage[key] = usage.get(key, 0) + value
            usage["calls"] = usage.get("calls", 0) + 1
            outcome = self._judge(turn, context, user.default_summary, request)
            if isinstance(outcome, PlanDraft):
                return outcome.model_copy(update={"usage": usage, "planned_by": self.label})
            if not isinstance(outcome, Invalid):
                return outcome.model_copy(update={"usage": usage})
            last = outcome
            log.info("%s plan attempt %d unusable: %d problem(s)", self.backend, attempt, len(outcome.problems))
            messages = messages + self._repair(turn, _feedback(outcome.problems), outcome.call)
        assert last is not None and turn is not None
        return self._give_up(last, turn, usage)

    # ---- judging an answer -----------------------------------------------------------
    def _judge(self, turn: ModelTurn, context: PlanningContext, default_summary: str,
               request: ReplanRequest | None = None) -> PlanDraft | Clarification | Invalid:
        call = turn.calls[0] if turn.calls else None
        if turn.stop_reason == "max_tokens":
            return Invalid(["the answer was cut off at the output token limit: submit a shorter plan"], call)
        if call is None:
            return Invalid(["answer by calling submit_plan or ask_question, not with text"], None)
        if call.error:
            return Invalid([call.error], call)
        if call.name == ASK_QUESTION:
            question = str(call.input.get("question", "")).strip()
            if question:
                return Clarification(question=question)
            return Invalid(["ask_question needs a non-empty question"], call)
        if call.name != SUBMIT_PLAN:
            return Invalid([f"unknown tool {call.name!r}: use submit_plan or ask_question"], call)
        tool_input = call.input
        if has_kept(tool_input.get("steps")):
            # a re-plan's {"keep": "s4"}: the approved step, as the approvers will see it
            steps, kept_problems = expand_kept(tool_input["steps"], request)
            if kept_problems:
                return Invalid(kept_problems, call)
            tool_input = {**tool_input, "steps": steps}
        draft = draft_from_input(tool_input, default_summary)
        if isinstance(draft, list):
            return Invalid(draft, call)
        problems = self._unconnected(draft, context) + validate_plan(draft, context.actions)
        return Invalid(problems, call) if problems else draft

    def _give_up(self, last: Invalid, turn: ModelTurn, usage: dict[str, int]) -> PlanningOutcome:
        if not turn.calls and turn.text:
            # the model insisted on talking: pass on its words rather than hide them
            if turn.text.rstrip().endswith("?"):
                return Clarification(question=turn.text, usage=usage)
            return ModelFailure(message=turn.text, usage=usage,
                                reason=f"{self.label} answered in plain text instead of calling a tool")
        if any(c.error for c in turn.calls):
            reason = f"{self.label} sent malformed tool calls"
        else:
            reason = f"{self.label} could not make a valid plan"
        problems = "\n".join(f"• {p}" for p in last.problems[:8])
        return ModelFailure(
            message="I could not make a valid plan for this goal, even after one correction. "
            f"Problems with the last attempt:\n{problems}\n"
            "Nothing will run. Try naming the exact records, dates or people involved.",
            usage=usage, reason=reason,
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


def _feedback(problems: list[str]) -> str:
    return (
        "Your answer cannot be used:\n"
        + "\n".join(f"- {p}" for p in problems)
        + "\nFix every problem and call submit_plan again with the whole corrected plan, "
        "or call ask_question if you need the person to decide."
    )
