"""The key file ``master.keys`` in DEPUTY_HOME (embedded default). Blocking file I/O:
callers run these functions through ``asyncio.to_thread``.

The file is created on first use with mode 0600 and is refused when group or others may
read it. Every change is written to a temporary file and renamed over the old one, under
an exclusive lock, so a crash leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.errors import SettingsError
from bot.settings.model import (
    KEY_FILE_NAME as KEY_FILE_NAME,  # re-exported: the vault names its file
)
from bot.vault.keys import MasterKey, generate_key, parse_file_text, render_file_text


@dataclass(frozen=True)
class KeyFileState:
    keys: list[MasterKey]
    # lets a running process notice that another one rotated or retired a key
    stamp: tuple[int, int]


def describe(path: Path) -> str:
    return f"the key file {path}"


def read_or_create(path: Path) -> KeyFileState:
    """The keys in ``path``, creating the file with one fresh key if it does not exist."""
    if not path.exists():
        _create_first(path)
    return read(path)


def read(path: Path) -> KeyFileState:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise SettingsError(f"{describe(path)} does not exist") from None
    except OSError as err:
        raise SettingsError(f"{describe(path)} cannot be opened: {err.strerror}") from None
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        _refuse_loose_permissions(path, info)
        text = handle.read()
    return KeyFileState(parse_file_text(text, source=describe(path)), _stamp(info))


def stamp_of(path: Path) -> tuple[int, int] | None:
    try:
        return _stamp(os.stat(path))
    except FileNotFoundError:
        return None


def update(path: Path, change: Callable[[list[MasterKey]], list[MasterKey]]) -> KeyFileState:
    """Apply ``change`` to the file's keys under the lock and replace the file atomically."""
    with _locked(path):
        current = read(path).keys
        write_atomically(path, change(current))
        return read(path)


def write_atomically(path: Path, keys: list[MasterKey]) -> None:
    tmp = _write_temp(path, keys)
    try:
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    _sync_dir(path.parent)


def _create_first(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _write_temp(path, [generate_key("k1")])
    try:
        # link, not rename: if another process created the file meanwhile, keep theirs
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won the race; its key is the one everybody uses
    finally:
        tmp.unlink(missing_ok=True)
    _sync_dir(path.parent)


def _write_temp(path: Path, keys: list[MasterKey]) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_file_text(keys))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _refuse_loose_permissions(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise SettingsError(f"{describe(path)} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise SettingsError(
            f"{describe(path)} may be read by group or others (mode {mode:04o}); "
            f"restrict it with `chmod 600 {path}` and start again"
        )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp(info: os.stat_result) -> tuple[int, int]:
    return (info.st_mtime_ns, info.st_ino)
