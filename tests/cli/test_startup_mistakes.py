"""Each start-up mistake is one line naming the setting and the fix, a non-zero exit and no
traceback — checked on the real `deputy` command, run as a subprocess."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import load_settings
from tests.cli.run import Result, clean_env, deputy

# slow (starts deputy as a process for each mistake): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow


def _one_line(result: Result) -> str:
    assert result.code != 0, result.out
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("deputy: "), line
    return line


def test_integrations_that_are_not_json(tmp_path: Path) -> None:
    result = deputy("shell", cwd=tmp_path, stdin="quit\n",
                    env=clean_env(DEPUTY_INTEGRATIONS="local,calendar"))
    line = _one_line(result)
    assert line.startswith("deputy: DEPUTY_INTEGRATIONS: not valid JSON")
    assert """e.g. DEPUTY_INTEGRATIONS='["local", "calendar"]'""" in line
    assert not (tmp_path / ".deputy").exists()


def test_an_unknown_integration_name(tmp_path: Path) -> None:
    result = deputy("shell", cwd=tmp_path, stdin="quit\n",
                    env=clean_env(DEPUTY_INTEGRATIONS='["local", "calender"]'))
    line = _one_line(result)
    assert line.startswith("deputy: DEPUTY_INTEGRATIONS: no integration named 'calender' "
                           "(did you mean 'calendar'?)")
    assert "calendar, crm, email, invoicing, local" in line
    assert not (tmp_path / ".deputy").exists()


def test_a_broken_policy_file(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text("default: deny\nrules:\n  - name: x\n    when: [\n")
    result = deputy("shell", cwd=tmp_path, stdin="quit\n", env=clean_env(DEPUTY_POLICY_FILE="team.yaml"))
    line = _one_line(result)
    assert line.startswith("deputy: DEPUTY_POLICY_FILE: team.yaml, line 5: not valid YAML")
    assert "`deputy policy check team.yaml` lists every problem" in line
    assert not (tmp_path / ".deputy").exists()


def test_a_policy_file_that_is_not_there(tmp_path: Path) -> None:
    result = deputy("shell", cwd=tmp_path, stdin="quit\n", env=clean_env(DEPUTY_POLICY_FILE="polcy.yaml"))
    line = _one_line(result)
    assert line.startswith("deputy: DEPUTY_POLICY_FILE: polcy.yaml: cannot read the policy file: "
                           "No such file or directory")


def test_a_bad_manifest(tmp_path: Path) -> None:
    notes = tmp_path / "extra" / "notes"
    notes.mkdir(parents=True)
    (notes / "manifest.yaml").write_text(
        "name: notes\ndescription: Team notes\nauth: none\nactions:\n"
        "  - name: add_note\n    effect: write\n")
    (notes / "actions.py").write_text("")
    env = clean_env(DEPUTY_INTEGRATION_PATHS='["extra"]', DEPUTY_INTEGRATIONS='["local", "notes"]')
    line = _one_line(deputy("shell", cwd=tmp_path, stdin="quit\n", env=env))
    assert line.startswith("deputy: integration manifest: extra/notes/manifest.yaml: "
                           "actions.0.description: Field required")
    assert "`deputy integrations check`" in line and "DEPUTY_INTEGRATIONS" in line
    # the check command names the same problem, for CI
    checked = deputy("integrations", "check", cwd=tmp_path, env=env)
    assert checked.code != 0
    assert checked.err_lines == ["deputy: extra/notes/manifest.yaml: actions.0.description: Field required"]


def test_a_max_concurrency_out_of_range(tmp_path: Path) -> None:
    notes = tmp_path / "extra" / "notes"
    notes.mkdir(parents=True)
    (notes / "manifest.yaml").write_text(
        "name: notes\ndescription: Team notes\nauth: none\nmax_concurrency: 0\nactions:\n"
        "  - name: add_note\n    description: Add a note.\n    effect: write\n"
        "    args: {type: object}\n")
    (notes / "actions.py").write_text("")
    env = clean_env(DEPUTY_INTEGRATION_PATHS='["extra"]', DEPUTY_INTEGRATIONS='["local", "notes"]')
    checked = deputy("integrations", "check", cwd=tmp_path, env=env)
    assert checked.code != 0
    assert checked.err_lines == ["deputy: extra/notes/manifest.yaml: max_concurrency: "
                                 "Input should be greater than or equal to 1"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_db_upgrade_with_an_unreachable_database(tmp_path: Path) -> None:
    port = _closed_port()
    url = f"postgresql://deputy:s3cret-pw@127.0.0.1:{port}/deputy"
    result = deputy("db", "upgrade", cwd=tmp_path, env=clean_env(DEPUTY_DATABASE_URL=url))
    line = _one_line(result)
    assert line.startswith(f"deputy: DEPUTY_DATABASE_URL: cannot connect to "
                           f"postgresql://deputy:***@127.0.0.1:{port}/deputy (")
    assert "check that the server runs" in line
    assert "s3cret-pw" not in result.err + result.out


def test_a_misspelt_setting_names_the_nearest_one(tmp_path: Path) -> None:
    result = deputy("shell", cwd=tmp_path, stdin="quit\n",
                    env=clean_env(DEPUTY_DATABSE_URL="postgresql://db.example/deputy"))
    line = _one_line(result)
    assert line == ("deputy: DEPUTY_DATABSE_URL: not a setting; did you mean DEPUTY_DATABASE_URL? "
                    "Rename it (the README's Settings table lists every setting)")
    assert not (tmp_path / ".deputy").exists()


def test_an_unrelated_deputy_variable_is_a_warning_only(tmp_path: Path) -> None:
    result = deputy("policy", "check", cwd=tmp_path, env=clean_env(DEPUTY_BUILD_NUMBER="41"))
    assert result.code == 0, result.err
    assert result.err_lines == ["deputy: DEPUTY_BUILD_NUMBER is not a Deputy setting and is ignored "
                                "(the README's Settings table lists every setting)"]


def test_a_prefixed_platform_variable_points_at_the_platform_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # Slack's token is read as SLACK_BOT_TOKEN only; the prefixed name would be ignored
    monkeypatch.setenv("DEPUTY_SLACK_BOT_TOKEN", "xoxb-not-shown-1234")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith("DEPUTY_SLACK_BOT_TOKEN: not a setting; did you mean SLACK_BOT_TOKEN?")
    assert "xoxb-not-shown-1234" not in str(caught.value)


def test_an_mcp_server_that_cannot_start(tmp_path: Path) -> None:
    (tmp_path / "deputy.toml").write_text(
        '[[mcp_servers]]\nname = "files"\ncommand = "/nonexistent/mcp-server"\n'
        'env = { TOKEN = "s3cret-token" }\n')
    result = deputy("shell", cwd=tmp_path, stdin="quit\n")
    line = _one_line(result)
    assert line.startswith("deputy: DEPUTY_MCP_SERVERS: cannot load MCP integrations: MCP server "
                           "'files' (command '/nonexistent/mcp-server') cannot be started")
    assert "fix that server in [[mcp_servers]] of deputy.toml" in line
    assert "s3cret-token" not in result.err
    assert not (tmp_path / ".deputy").exists()
