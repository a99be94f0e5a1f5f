"""The audit chain's keys: HMAC keys derived from the master keys of the keyring.

Each audit record names the master key whose derived key signed it, so records keep
verifying after a rotation for as long as the keyring holds that key. The derived key is
``HKDF-SHA256(master, info="deputy audit chain v1")``: it is never the master key itself, so
a MAC never exposes anything about the key that wraps credentials.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.vault.keyring import Keyring

_INFO = b"deputy audit chain v1"


def derive(material: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material)


def derive_for(material: bytes, purpose: str) -> bytes:
    """A 32-byte key for another purpose than the audit chain (``info="deputy PURPOSE v1"``)."""
    info = f"deputy {purpose} v1".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


class AuditKeys:
    """What the audit log signs with (the active key) and verifies with (any key by id)."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._derived: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"AuditKeys(active={self._keyring.active.key_id!r})"

    def active(self) -> tuple[str, bytes]:
        key = self._keyring.active
        return key.key_id, self._derive(key.key_id, key.material)

    def get(self, key_id: str) -> bytes | None:
        key = self._keyring.get(key_id)
        return None if key is None else self._derive(key_id, key.material)

    def _derive(self, key_id: str, material: bytes) -> bytes:
        if key_id not in self._derived:
            self._derived[key_id] = derive(material)
        return self._derived[key_id]
