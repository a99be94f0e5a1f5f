"""DEPUTY_HOME: a command run in the wrong folder must not start a new database and master key.

Reading and managing commands stop and say where they looked; the first `deputy shell`
creates the home and says so. All on the real `deputy` command, as a subprocess."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.cli.run import DEPUTY, clean_env, deputy
from tests.support import postgres

READERS = [("runs", "list"), ("audit", "verify"), ("monitors", "list"), ("keys", "list"),
           ("keys", "rotate"), ("teams", "list"), ("console", "--as", "Ana")]


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_reading_command_without_a_home_stops_and_creates_nothing(tmp_path: Path,
                                                                    command: tuple[str, ...]) -> None:
    result = deputy(*command, cwd=tmp_path)
    assert result.code != 0
    assert "Traceback" not in result.err
    assert result.err_lines == [
        f"deputy: DEPUTY_HOME: no Deputy home at {tmp_path / '.deputy'} (looked for deputy.db, "
        "master.keys); run this in the folder where `deputy shell` or `deputy serve` ran, or set "
        "DEPUTY_HOME to that home. Nothing was created"]
    assert list(tmp_path.iterdir()) == []


def test_the_first_shell_creates_the_home_and_says_so(tmp_path: Path) -> None:
    first = deputy("shell", cwd=tmp_path, stdin="quit\n")
    assert first.code == 0, first.err
    home = tmp_path / ".deputy"
    assert first.err_lines == [
        f"deputy: new Deputy home at {home} (created deputy.db, master.keys); back up master.keys: "
        "stored credentials cannot be read without it"]
    assert sorted(p.name for p in home.iterdir()) == ["deputy.db", "master.keys"]
    key = (home / "master.keys").read_bytes()

    again = deputy("shell", cwd=tmp_path, stdin="quit\n")
    assert again.code == 0 and again.err_lines == []
    assert (home / "master.keys").read_bytes() == key  # the same key, not a new one

    listed = deputy("keys", "list", cwd=tmp_path)
    assert listed.code == 0, listed.err
    assert listed.out.split()[0] == "k1"


def test_deputy_home_points_a_command_at_a_home_elsewhere(tmp_path: Path) -> None:
    home = tmp_path / "team" / ".deputy"
    made = deputy("shell", cwd=tmp_path, stdin="quit\n", env=clean_env(DEPUTY_HOME=str(home)))
    assert made.code == 0, made.err
    assert f"new Deputy home at {home}" in made.err
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listed = deputy("runs", "list", cwd=elsewhere, env=clean_env(DEPUTY_HOME=str(home)))
    assert listed.code == 0, listed.err
    assert "No runs yet" in listed.out
    assert list(elsewhere.iterdir()) == []


def test_db_upgrade_says_it_made_the_embedded_database(tmp_path: Path) -> None:
    made = deputy("db", "upgrade", cwd=tmp_path)
    assert made.code == 0, made.err
    assert made.err_lines == [f"deputy: new Deputy home at {tmp_path / '.deputy'} (created deputy.db)"]
    again = deputy("db", "upgrade", cwd=tmp_path)
    assert again.code == 0 and again.err_lines == []


def test_postgresql_with_a_master_key_needs_no_home(tmp_path: Path) -> None:
    key = "k1:" + base64.b64encode(os.urandom(32)).decode()
    with postgres.throwaway_database(postgres.server_url()) as url:
        env = clean_env(DEPUTY_DATABASE_URL=url, DEPUTY_MASTER_KEY=key)
        assert deputy("db", "upgrade", cwd=tmp_path, env=env).code == 0
        listed = deputy("keys", "list", cwd=tmp_path, env=env)
        assert listed.code == 0, listed.err
        assert listed.out.split()[:2] == ["k1", "0"]
        # without the key the vault would need the key file of a home
        keyless = deputy("keys", "list", cwd=tmp_path, env=clean_env(DEPUTY_DATABASE_URL=url))
        assert keyless.code != 0
        assert "(looked for master.keys)" in keyless.err
    assert list(tmp_path.iterdir()) == []


def test_the_first_serve_creates_the_home_and_says_so(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen([DEPUTY, "serve", "--port", str(port)], cwd=tmp_path, env=clean_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "deputy serve did not answer /healthz"
                time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    home = tmp_path / ".deputy"
    assert (f"deputy: new Deputy home at {home} (created deputy.db, master.keys); back up "
            "master.keys: stored credentials cannot be read without it") in err.splitlines()
    assert {"deputy.db", "master.keys"} <= {p.name for p in home.iterdir()}
