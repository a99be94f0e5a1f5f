"""One integration call: argument check, timeout, retries with backoff on transient errors."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.domain import Effect
from bot.errors import InvalidArguments, OutcomeUnknown, PermanentError, TransientError
from bot.planning.validation import check_arguments
from bot.registry import CallContext, Registry
from bot.settings import Settings

log = logging.getLogger(__name__)


def _safe_to_resend(registry: Registry, action: str, effect: Effect) -> bool:
    loaded = registry.get(action.split(".", 1)[0])
    return effect is Effect.READ or (loaded is not None and loaded.manifest.idempotent_writes)


async def call_action(registry: Registry, settings: Settings, action: str, args: dict[str, Any],
                      ctx: CallContext) -> dict[str, Any]:
    spec = registry.spec(action)
    if spec is None:
        raise PermanentError(f"unknown action {action!r}")
    problems = check_arguments(spec.args, args)
    if problems:
        raise InvalidArguments(f"{action}: " + "; ".join(problems[:5]))
    client, fn = registry.function(action)
    delay = settings.retry_base_seconds
    for attempt in range(1, settings.step_attempts + 1):
        try:
            async with asyncio.timeout(settings.step_timeout_seconds):
                return await fn(client, ctx, **args)
        except TimeoutError:
            if not _safe_to_resend(registry, action, spec.effect):
                # the call may have happened: sending it again could do it twice
                raise OutcomeUnknown(
                    f"{action} did not answer within {settings.step_timeout_seconds:g} s and "
                    "cannot tell whether it happened; it was not sent again. Check it by hand.") from None
            error: TransientError = TransientError(
                f"{action} did not answer within {settings.step_timeout_seconds:g} s")
        except TransientError as err:
            error = err
        if attempt == settings.step_attempts:
            raise PermanentError(f"{error} (gave up after {attempt} tries)") from error
        wait = min(settings.retry_max_seconds, error.retry_after if error.retry_after is not None else delay)
        log.info("transient failure of %s (try %d): %s; retrying in %.2fs", action, attempt, error, wait)
        await asyncio.sleep(wait)
        delay = min(settings.retry_max_seconds, delay * 2)
    raise AssertionError("unreachable")
