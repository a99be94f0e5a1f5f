"""The master keys a process holds: from DEPUTY_MASTER_KEY, or from the key file.

Build one with :func:`load_keyring` at start-up, then check it against the database with
:func:`bot.vault.startup.check_keyring`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from bot.errors import SettingsError
from bot.vault import keyfile
from bot.vault.keys import MasterKey, generate_key, next_key_id, parse_env_value


class Keyring:
    def __init__(
        self,
        keys: Sequence[MasterKey],
        *,
        source: str = "DEPUTY_MASTER_KEY",
        path: Path | None = None,
        stamp: tuple[int, int] | None = None,
    ) -> None:
        if not keys:
            raise SettingsError(f"{source} holds no key")
        self.source = source  # how messages name where the keys come from
        self.path = path
        self._stamp = stamp
        self._set(keys)

    @classmethod
    def from_env_value(cls, value: str) -> Keyring:
        return cls(parse_env_value(value))

    @classmethod
    async def open_file(cls, path: Path) -> Keyring:
        """The key file at ``path``, created with one fresh key (mode 0600) if missing."""
        state = await asyncio.to_thread(keyfile.read_or_create, path)
        return cls(state.keys, source=keyfile.describe(path), path=path, stamp=state.stamp)

    def __repr__(self) -> str:
        return f"Keyring(source={self.source!r}, key_ids={self.key_ids!r})"

    @property
    def active(self) -> MasterKey:
        return self._keys[0]

    @property
    def key_ids(self) -> list[str]:
        return [k.key_id for k in self._keys]

    @property
    def is_file(self) -> bool:
        return self.path is not None

    def get(self, key_id: str) -> MasterKey | None:
        return self._by_id.get(key_id)

    async def refresh(self) -> bool:
        """Re-read the key file if another process changed it. True when keys changed."""
        if self.path is None:
            return False
        stamp = await asyncio.to_thread(keyfile.stamp_of, self.path)
        if stamp is None or stamp == self._stamp:
            return False
        state = await asyncio.to_thread(keyfile.read, self.path)
        self._set(state.keys)
        self._stamp = state.stamp
        return True

    async def add_key(self, key_id: str | None = None) -> MasterKey:
        """Generate a key, make it the active one and save the file (atomically, 0600)."""
        path = self._require_file("add a key")
        made: list[MasterKey] = []

        def change(current: list[MasterKey]) -> list[MasterKey]:
            ids = [k.key_id for k in current]
            new_id = key_id or next_key_id(ids)
            if new_id in ids:
                raise SettingsError(f"{self.source} already has a key {new_id!r}")
            made.append(generate_key(new_id))
            return [made[0], *current]

        state = await asyncio.to_thread(keyfile.update, path, change)
        self._set(state.keys)
        self._stamp = state.stamp
        return made[0]

    async def remove_key(self, key_id: str) -> None:
        """Drop a key from the file. Use :func:`bot.vault.rotation.retire`, which checks use."""
        path = self._require_file("remove a key")

        def change(current: list[MasterKey]) -> list[MasterKey]:
            if current and current[0].key_id == key_id:
                raise SettingsError(f"{key_id!r} is the active key of {self.source}; rotate first")
            return [k for k in current if k.key_id != key_id]

        state = await asyncio.to_thread(keyfile.update, path, change)
        self._set(state.keys)
        self._stamp = state.stamp

    def _require_file(self, what: str) -> Path:
        if self.path is None:
            raise SettingsError(
                f"cannot {what} to {self.source} from here: edit the variable "
                "(new key first, old keys after it) and restart"
            )
        return self.path

    def _set(self, keys: Sequence[MasterKey]) -> None:
        self._keys = list(keys)
        self._by_id = {k.key_id: k for k in self._keys}


async def load_keyring(home: Path, master_key: str | None) -> Keyring:
    """DEPUTY_MASTER_KEY when set, else ``<home>/master.keys`` (created on first use)."""
    if master_key is not None and master_key.strip():
        return Keyring.from_env_value(master_key)
    return await Keyring.open_file(home / keyfile.KEY_FILE_NAME)
