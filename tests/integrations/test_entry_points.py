"""Integrations installed as packages: an entry point in the ``deputy.integrations`` group
names the package holding manifest.yaml, as simonw/llm plugins do. Here a real
``*.dist-info`` on sys.path (what pip writes) stands in for ``pip install deputy-acme``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.integration_settings import installed_settings_fields
from bot.registry import ManifestError, discover
from bot.settings import load_settings
from tests.support.throwaway_integration import write_acme


def _install(site: Path, entry_points: str) -> None:
    info = site / "deputy_acme-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: deputy-acme\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[deputy.integrations]\n{entry_points}\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site-packages"
    write_acme(site / "deputy_acme")
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.split(".")[0] == "deputy_acme"]:
        del sys.modules[name]


def test_an_installed_package_is_an_integration_like_a_folder(
        site: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    _install(site, "acme = deputy_acme")
    assert "acme" in discover(None).names  # `deputy integrations list` shows it
    registry = discover(["acme"])
    loaded = registry.get("acme")
    assert loaded is not None and loaded.manifest.oauth is not None
    assert [a.name for a in loaded.manifest.actions] == ["whoami"]
    assert loaded.actions.functions["whoami"].__module__ == "deputy_acme.actions"
    # its settings are Deputy settings: known names, read from the environment
    assert "acme_client_id" in installed_settings_fields()
    monkeypatch.setenv("DEPUTY_ACME_API_URL", "http://127.0.0.1:9/")
    caplog.set_level(logging.WARNING)
    settings = load_settings(integrations=["acme"])
    assert "not a Deputy setting" not in caplog.text
    registry.configure(settings)
    assert loaded.settings is not None and loaded.settings.acme_api_url == "http://127.0.0.1:9/"


def test_the_manifest_name_must_be_the_entry_point_name(site: Path) -> None:
    _install(site, "acme-tools = deputy_acme")
    with pytest.raises(ManifestError, match="must match its entry point 'acme-tools'"):
        discover(["acme-tools"])


def test_a_broken_entry_point_stops_only_when_enabled_and_is_named(site: Path) -> None:
    _install(site, "acme = deputy_acme\nghost = deputy_ghost_not_installed")
    assert discover(["acme"]).names == ["acme"]  # the broken one is never imported
    with pytest.raises(ManifestError, match="entry point 'ghost' .* cannot be imported"):
        discover(["ghost"])
