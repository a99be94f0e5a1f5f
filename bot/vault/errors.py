"""Errors the vault raises besides :class:`bot.errors.SettingsError` (configuration).

Messages name owners, integrations and key ids, never a secret or key material.
"""

from __future__ import annotations

from bot.errors import PermanentError, UserError


class CredentialUnreadable(PermanentError):
    """A stored credential did not decrypt: it was altered, or moved from another record.

    A :class:`PermanentError`, so a step that needs it fails instead of being retried.
    """

    def __init__(self, owner_key: str, integration: str) -> None:
        super().__init__(
            f"The stored {integration} credential of {owner_key} cannot be decrypted: it was "
            f"altered or does not belong to this record. Reconnect it with `connect {integration}`."
        )
        self.owner_key = owner_key
        self.integration = integration


class KeyInUse(UserError):
    """A master key cannot be retired while records are still wrapped with it."""

    def __init__(self, key_id: str, count: int) -> None:
        noun = "credential" if count == 1 else "credentials"
        super().__init__(
            f"master key {key_id!r} still protects {count} {noun}; "
            "run `deputy keys rotate` first, then retire it."
        )
        self.key_id = key_id
        self.count = count
