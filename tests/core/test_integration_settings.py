"""An integration's own settings (its settings.py) behave like Deputy's: the same variable
names as before they moved out of bot/settings, the same order (arguments, environment,
deputy.toml), and the same one-line refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.registry import discover
from bot.settings import load_settings


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # deputy.toml is read from the working folder


def _crm_api_url(**given: object) -> str:
    registry = discover(["crm"])
    registry.configure(load_settings(**given))
    crm = registry.get("crm")
    assert crm is not None and crm.settings is not None
    return str(crm.settings.hubspot_api_url)


def test_arguments_beat_the_environment_which_beats_deputy_toml(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _crm_api_url() == "https://api.hubapi.com"
    (tmp_path / "deputy.toml").write_text('hubspot_api_url = "http://127.0.0.1:1"\n')
    assert _crm_api_url() == "http://127.0.0.1:1"
    monkeypatch.setenv("DEPUTY_HUBSPOT_API_URL", "http://127.0.0.1:2")
    assert _crm_api_url() == "http://127.0.0.1:2"
    assert _crm_api_url(hubspot_api_url="http://127.0.0.1:3") == "http://127.0.0.1:3"


def test_a_key_nobody_declares_in_deputy_toml_still_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / "deputy.toml").write_text('hubspot_api_url = "http://127.0.0.1:1"\nhubspot_api_ur = "x"\n')
    with pytest.raises(SettingsError, match="unknown setting 'hubspot_api_ur' in deputy.toml"):
        load_settings()


def test_a_bad_integration_value_is_named_like_deputys_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPUTY_BROWSER_ALLOWED_HOSTS", "portal.example.com")
    with pytest.raises(SettingsError, match="DEPUTY_BROWSER_ALLOWED_HOSTS: not valid JSON"):
        load_settings()
    monkeypatch.setenv("DEPUTY_MCP_SERVERS", "files")
    monkeypatch.delenv("DEPUTY_BROWSER_ALLOWED_HOSTS")
    with pytest.raises(SettingsError, match="DEPUTY_MCP_SERVERS: not valid JSON .* e.g. DEPUTY_MCP_SERVERS="):
        load_settings()
    monkeypatch.delenv("DEPUTY_MCP_SERVERS")
    with pytest.raises(SettingsError, match="DEPUTY_BROWSER_DOWNLOAD_MAX_BYTES: "):
        load_settings(browser_download_max_bytes=0)


def test_a_secret_given_for_an_integration_is_not_shown_by_deputys_settings() -> None:
    settings = load_settings(public_url="https://deputy.example", hubspot_client_id="app-1",
                             hubspot_client_secret="s3cret-app")
    assert "s3cret-app" not in repr(settings) and "s3cret-app" not in str(settings)
    registry = discover(["crm"])
    registry.configure(settings)
    crm = registry.get("crm")
    assert crm is not None and "s3cret-app" not in repr(crm.settings)


def test_the_old_variable_names_are_known_settings(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("DEPUTY_HUBSPOT_CLIENT_ID", "DEPUTY_STRIPE_API_URL", "DEPUTY_BROWSER_EXECUTABLE"):
        monkeypatch.setenv(name, "x")
    load_settings(public_url="https://deputy.example", hubspot_client_secret="s")
    assert "not a Deputy setting" not in caplog.text
    monkeypatch.setenv("DEPUTY_HUBSPOT_CLIENT_SECRT", "s")
    with pytest.raises(SettingsError, match="did you mean DEPUTY_HUBSPOT_CLIENT_SECRET"):
        load_settings()
