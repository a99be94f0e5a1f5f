"""The one error hierarchy of Deputy. Adapters turn these into chat messages; the CLI into
one line on stderr.

Only these cross module boundaries; a library's own exception is translated where it is
caught (an integration's client, the store) so callers never see raw tracebacks::

    DeputyError
    ├── StartupError          the process cannot start as configured; the message says what to fix
    │   ├── SettingsError     a setting (or the master key) is missing or invalid
    │   ├── PolicyError       the policy file is invalid
    │   ├── ManifestError     an integration's manifest is invalid
    │   └── DatabaseUnavailable  the database cannot be reached (also later, at run time)
    ├── UserError             a request cannot be done as asked: UnknownAction, NotConnected…
    └── IntegrationError      an integration call failed
        ├── TransientError    may pass: retried (``sent`` says whether a write may be resent)
        └── PermanentError    will not pass: the step fails (ReconnectNeeded, InvalidArguments,
                              OutcomeUnknown)

``LeaseLost`` is not a ``DeputyError``: nobody is told anything. It stops a planner's work on a
queued request once another planner has taken the request over (bot/store/inbox_fence.py).

``DatabaseUnavailable`` is never a step's failure: nothing was changed, so a request is
answered with its message, and a worker lets its claim lapse and tries again once the
database is back (``bot/execution/worker.py``).
"""

from __future__ import annotations


class LeaseLost(Exception):  # noqa: N818 - named for what happened, as the log says it
    """This planner's lease on a queued request was taken over by another planner (this one
    stalled past its lease): the work must stop before anything else is posted or recorded."""

    def __init__(self, row_id: int, attempt: int) -> None:
        super().__init__(f"inbox row {row_id}: attempt {attempt} lost its lease to another planner")
        self.row_id = row_id
        self.attempt = attempt


class DeputyError(Exception):
    """Base class. ``str(err)`` is safe to show a user: it never carries a secret."""


class StartupError(DeputyError):
    """Deputy cannot start as configured; the message names what to fix."""


class SettingsError(StartupError):
    """A setting is missing or invalid. The message names the setting."""


class PolicyError(StartupError):
    """A policy file is invalid; the message names the file, the line and the problem."""


class ManifestError(StartupError):
    """A manifest is invalid. The message names the file and the problem."""


class DatabaseUnavailable(StartupError):
    """The database cannot be reached; nothing was changed.

    At start-up it stops the process; later it fails the request at hand (never a run's
    step: the worker waits for the database and resumes the run). ``detail``: where it was
    looked for and what answered ("127.0.0.1:5999: connection refused"), for an operator at
    the command line only: chat messages carry the message alone."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class UserError(DeputyError):
    """The user asked for something that cannot be done as asked; the message says why."""


class NotConnected(UserError):
    def __init__(self, integration: str) -> None:
        super().__init__(
            f"You have not connected {integration!r} yet. Connect it with `connect {integration}`."
        )
        self.integration = integration


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
