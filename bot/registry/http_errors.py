"""One mapping from HTTP answers to Deputy's error vocabulary, used by every integration.

401/403 → reconnect; 404 → a clear step failure; 408/425/429/5xx → transient (honouring
``Retry-After``); other 4xx → permanent with the provider's message. A transient answer says
whether the request was processed: 408, 425, 429 and 503 refuse it before processing
(``sent=False``, so even a write may be sent again); 500, 502 and 504 come after the provider
may have acted (``sent=True``: a write's outcome is unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.errors import IntegrationError, PermanentError, ReconnectNeeded, TransientError

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# answered before the request was processed: nothing happened at the provider
NOT_PROCESSED_STATUSES = frozenset({408, 425, 429, 503})


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Parse ``Retry-After`` (seconds or an HTTP date). None when absent or unreadable."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_for_status(
    integration: str,
    status: int,
    headers: Mapping[str, str] | None = None,
    message: str = "",
) -> IntegrationError | None:
    """The error an HTTP status means, or None for success. ``message`` must hold no secret."""
    if status < 400:
        return None
    detail = f": {message[:300]}" if message else ""
    if status in (401, 403):
        return ReconnectNeeded(integration)
    if status == 404:
        return PermanentError(f"{integration}: not found{detail}")
    if status in TRANSIENT_STATUSES:
        return TransientError(
            f"{integration} answered {status}{detail}", retry_after=retry_after_seconds(headers or {}),
            sent=status not in NOT_PROCESSED_STATUSES,
        )
    return PermanentError(f"{integration} refused the request ({status}){detail}")
