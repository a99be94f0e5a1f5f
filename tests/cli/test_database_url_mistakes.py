"""A DEPUTY_DATABASE_URL that cannot work is one line saying what to fix, never a traceback
and never "try again shortly" when trying again cannot help — on the real `deputy` command.

Tried by hand: a PostgreSQL database that does not exist, an unknown user, a SQLite file in
a folder that is not there and a database never migrated all said "The database cannot be
reached right now … Try again shortly" (or printed SQLAlchemy's traceback, "no such table:
vault_keys"); the `?sslmode=require` every PostgreSQL host hands out was a TypeError
traceback from the driver."""

from __future__ import annotations

import base64
import os
import socket
from pathlib import Path

import pytest

from tests.cli.run import Result, clean_env, deputy
from tests.support import postgres

# slow (starts deputy as a process for each URL): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

KEY = "k1:" + base64.b64encode(os.urandom(32)).decode()


def _one_line(result: Result) -> str:
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err, result.err
    assert len(result.err_lines) == 1, result.err
    return result.err_lines[0]


def _shell(url: str, cwd: Path) -> Result:
    return deputy("shell", cwd=cwd, stdin="quit\n", env=clean_env(DEPUTY_DATABASE_URL=url, DEPUTY_MASTER_KEY=KEY))


def test_a_postgresql_database_that_does_not_exist(tmp_path: Path) -> None:
    url = postgres.with_database(postgres.server_url(), "deputy_no_such_database")
    line = _one_line(_shell(url, tmp_path))
    assert line == ('deputy: The database server refused the connection: database "deputy_no_such_database" '
                    "does not exist. Nothing was changed; check DEPUTY_DATABASE_URL's user, password and "
                    "database name.")


@pytest.mark.parametrize("command", [("shell",), ("runs", "list")])
def test_a_sqlite_file_in_a_folder_that_is_not_there(tmp_path: Path, command: tuple[str, ...]) -> None:
    # three times: aiosqlite's thread answered the failed open after the event loop had closed
    # in most tries of `runs list` (a second traceback, "Event loop is closed", after the line)
    env = clean_env(DEPUTY_DATABASE_URL=f"sqlite:///{tmp_path}/nowhere/deputy.db", DEPUTY_MASTER_KEY=KEY)
    for _ in range(3):
        line = _one_line(deputy(*command, cwd=tmp_path, stdin="quit\n", env=env))
        assert line.startswith(f"deputy: The SQLite database file {tmp_path}/nowhere/deputy.db cannot be opened "
                               "(does its folder exist")
        assert "Try again" not in line


@pytest.mark.parametrize("command", [("shell",), ("runs", "list")])
def test_a_database_never_migrated_says_to_run_db_upgrade_and_then_works(tmp_path: Path, command: tuple[str, ...]) -> None:
    with postgres.throwaway_database(postgres.server_url()) as url:
        # the option every PostgreSQL host's URL carries is taken (as asyncpg's ssl=)
        env = clean_env(DEPUTY_DATABASE_URL=url + "?sslmode=disable", DEPUTY_MASTER_KEY=KEY)
        line = _one_line(deputy(*command, cwd=tmp_path, stdin="quit\n", env=env))
        assert line.startswith("deputy: The database has no Deputy tables yet (relation ")
        assert line.endswith("nothing was changed. Run `deputy db upgrade` once to create them.")
        assert deputy("db", "upgrade", cwd=tmp_path, env=env).code == 0
        listed = deputy("runs", "list", cwd=tmp_path, env=env)
        assert (listed.code, listed.out.strip()) == (0, "No runs yet. Start one with `deputy shell`.")


def test_a_new_sqlite_file_says_to_run_db_upgrade(tmp_path: Path) -> None:
    line = _one_line(_shell(f"sqlite:///{tmp_path}/team.db", tmp_path))
    assert line == ("deputy: The database has no Deputy tables yet (no such table: vault_keys); nothing was "
                    "changed. Run `deputy db upgrade` once to create them.")


def test_a_postgresql_port_where_nothing_listens_says_where_it_looked(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once this closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = _one_line(_shell(f"postgresql://deputy:sekrit@127.0.0.1:{port}/deputy", tmp_path))
    assert line == ("deputy: The database cannot be reached right now; nothing was changed. Try again shortly. "
                    f"(PostgreSQL at 127.0.0.1:{port} refused the connection: is the server running, on that port?)")
    assert "sekrit" not in line


def test_an_option_the_driver_does_not_take(tmp_path: Path) -> None:
    line = _one_line(_shell(postgres.server_url() + "?application_name=deputy", tmp_path))
    assert line.startswith("deputy: DEPUTY_DATABASE_URL: unsupported option 'application_name' after '?'")
