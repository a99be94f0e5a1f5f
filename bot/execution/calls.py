"""One integration call: argument check, timeout, and the retry rule.

The retry rule, in one place: a failed call is tried again when that cannot do anything
twice — it was a read, or the integration honours idempotency keys (it answers a repeated
key with the first result), or the request certainly never reached the provider
(``TransientError.sent is False``: a refused connection, a failed DNS lookup or TLS
handshake, a 429 or 503 answered before processing). Any other failure of a write — a
timeout, a connection reset after the body was sent, a 5xx after sending — leaves its
outcome unknown: it is raised as OutcomeUnknown at once, never sent again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.domain import Effect
from bot.errors import InvalidArguments, OutcomeUnknown, PermanentError, TransientError
from bot.execution.gates import Gate, gate_for
from bot.planning.validation import check_arguments
from bot.registry import CallContext, Registry
from bot.settings import Settings

log = logging.getLogger(__name__)


def safe_to_resend(registry: Registry, action: str, effect: Effect) -> bool:
    """Whether sending this action again can never cause a second side effect."""
    loaded = registry.get(action.split(".", 1)[0])
    return effect is Effect.READ or (loaded is not None and loaded.manifest.idempotent_writes)


def outcome_unknown(action: str, reason: str) -> OutcomeUnknown:
    integration = action.split(".", 1)[0]
    return OutcomeUnknown(
        f"{reason}. {action} may or may not have happened, and {integration} cannot tell: it "
        f"was not sent again. Check it by hand in {integration} before running it again")


class CallStopped(Exception):
    """The run stopped (another call failed) before this call was sent: it never was."""


async def call_action(registry: Registry, settings: Settings, action: str, args: dict[str, Any],
                      ctx: CallContext, *, stop: asyncio.Event | None = None) -> dict[str, Any]:
    """One call under the integration's gate (its ``max_concurrency``; a 429's pause applies
    to every call of it). ``stop``, once set, keeps this call from being sent (CallStopped)."""
    spec = registry.spec(action)
    if spec is None:
        raise PermanentError(f"unknown action {action!r}")
    problems = check_arguments(spec.args, args)
    if problems:
        raise InvalidArguments(f"{action}: " + "; ".join(problems[:5]))
    client, fn = registry.function(action)
    resendable = safe_to_resend(registry, action, spec.effect)
    gate = gate_for(registry, action.split(".", 1)[0])
    delay = settings.retry_base_seconds
    for attempt in range(1, settings.step_attempts + 1):
        async with gate.slot():
            if stop is not None and stop.is_set():
                raise CallStopped(action)
            try:
                async with asyncio.timeout(settings.step_timeout_seconds):
                    return await fn(client, ctx, **args)
            except TimeoutError:
                # cut off mid-call: the request may be at the provider already
                error = TransientError(
                    f"{action} did not answer within {settings.step_timeout_seconds:g} s", sent=None)
            except TransientError as err:
                error = err
        if error.sent is not False and not resendable:
            raise outcome_unknown(action, str(error)) from error
        if attempt == settings.step_attempts:
            raise PermanentError(f"{error} (gave up after {attempt} tries)") from error
        await _back_off(settings, gate, action, attempt, error, delay)
        delay = min(settings.retry_max_seconds, delay * 2)
    raise AssertionError("unreachable")


async def _back_off(settings: Settings, gate: Gate, action: str, attempt: int,
                    error: TransientError, delay: float) -> None:
    """The provider's ``Retry-After`` pauses the whole integration (every call waits at the
    gate); without one, only this call waits its own exponential delay."""
    wait = min(settings.retry_max_seconds, error.retry_after if error.retry_after is not None else delay)
    if error.retry_after is not None:
        gate.pause(wait)
    log.info("transient failure of %s (try %d): %s; retrying in %.2fs", action, attempt, error, wait)
    if error.retry_after is None:
        await asyncio.sleep(wait)
