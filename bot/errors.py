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
    """The call failed in a way that may pass: a timeout, a refused connection, 429, 5xx.

    ``sent`` says whether the request reached the provider, which decides whether a write
    may be sent again (see ``bot/execution/calls.py``): False when it certainly did not (the
    connection was refused, the name did not resolve, the TLS handshake failed, a 429 or 503
    answered before processing); True when it did and the answer was a failure that does not
    say what happened (a 500 after sending); None when nobody can tell (a read timeout, a
    connection reset after the body went out). The default is None: a client that does not
    know must not claim a write was never sent. ``retry_after`` is the server's hint in
    seconds.
    """

    def __init__(self, message: str, retry_after: float | None = None, *,
                 sent: bool | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.sent = sent


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
    """A write may or may not have happened (it was interrupted after it was sent, or by a
    crash) and its integration cannot tell: it is never sent again; a person checks."""


class DatabaseUnavailable(DeputyError):
    """The database cannot be reached; nothing was changed."""
