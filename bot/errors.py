"""The small vocabulary of errors the core raises. Adapters turn them into chat messages.

Only these cross module boundaries; a library's own exception is translated where it is
caught (an integration's client, the store) so callers never see raw tracebacks.
"""

from __future__ import annotations


class DeputyError(Exception):
    """Base class. ``str(err)`` is safe to show a user: it never carries a secret."""


class UserError(DeputyError):
    """The user asked for something that cannot be done as asked; the message says why."""


class SettingsError(DeputyError):
    """A setting is missing or invalid. The message names the setting."""


class NotConnected(DeputyError):
    def __init__(self, integration: str) -> None:
        super().__init__(
            f"You have not connected {integration!r} yet. Connect it with `connect {integration}`."
        )
        self.integration = integration


class PolicyDenied(DeputyError):
    """The policy forbids this step; the message carries the rule's reason."""


class IntegrationError(DeputyError):
    """Base for failures reported by an integration call."""


class TransientError(IntegrationError):
    """Worth retrying: timeouts, 429, 5xx. ``retry_after`` is the server's hint in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(IntegrationError):
    """Retrying will not help: the step fails with this message."""


class ReconnectNeeded(PermanentError):
    """The provider refused the credentials (401/403)."""

    def __init__(self, integration: str) -> None:
        super().__init__(
            f"{integration} refused your credentials. Reconnect it with `connect {integration}`."
        )
        self.integration = integration


class InvalidArguments(PermanentError):
    """The arguments do not match the action's schema."""


class UnknownAction(UserError):
    """No integration offers this action."""


class OutcomeUnknown(PermanentError):
    """A write was started before a crash and its integration cannot tell whether it ran."""


class DatabaseUnavailable(DeputyError):
    """The database cannot be reached; nothing was changed."""
