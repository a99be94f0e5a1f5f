"""How a queued request is kept in the inbox table: sealed (AES-GCM) with a key derived from
the platform's signing secret, bound to its platform and kind (bot/adapters/inbox.py)."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

Payload = dict[str, Any]


class Sealer:
    def __init__(self, platform: str, secret: str) -> None:
        if not secret:
            raise ValueError("the inbox needs the platform's signing secret to seal requests")
        self.platform = platform
        self._aead = AESGCM(hashlib.sha256(b"deputy-inbox:" + secret.encode()).digest())

    def seal(self, kind: str, payload: Payload) -> bytes:
        nonce = secrets.token_bytes(12)
        plain = json.dumps(payload, separators=(",", ":")).encode()
        return nonce + self._aead.encrypt(nonce, plain, self._aad(kind))

    def open(self, kind: str, sealed: bytes) -> Payload:
        """The payload; ValueError if the row was altered or sealed under another secret."""
        try:
            plain = self._aead.decrypt(sealed[:12], sealed[12:], self._aad(kind))
        except InvalidTag:
            raise ValueError("an inbox row that does not open with this signing secret") from None
        payload = json.loads(plain)
        if not isinstance(payload, dict):
            raise ValueError("an inbox row that is not an object")
        return payload

    def _aad(self, kind: str) -> bytes:
        return f"inbox:{self.platform}:{kind}".encode()
