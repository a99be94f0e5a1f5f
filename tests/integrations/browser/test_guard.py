"""The browser's host rule, without a browser: schemes, the allow-list, private addresses."""

from __future__ import annotations

import pytest

from bot.errors import PermanentError, SettingsError
from bot.settings import load_settings
from integrations.browser.client import find_executable, run_folder, shot_name
from integrations.browser.guard import HostGuard, HostRefused


async def refused(guard: HostGuard, url: str) -> str:
    with pytest.raises(HostRefused) as caught:
        await guard.check(url)
    return str(caught.value)


async def test_only_listed_http_hosts_pass() -> None:
    guard = HostGuard(["portal.example.com", "127.0.0.1"])
    await guard.check("https://portal.example.com/orders?x=1")
    await guard.check("http://127.0.0.1:8123/form")  # listed exactly: allowed though loopback
    assert "only http and https" in await refused(guard, "file:///etc/passwd")
    assert "only http and https" in await refused(guard, "chrome://settings")
    assert "not on the allow-list" in await refused(guard, "https://evil.example.com/")
    assert "not on the allow-list" in await refused(guard, "http://localhost:8123/")
    assert "not on the allow-list" in await refused(guard, "http://10.0.0.5/")
    assert "not on the allow-list" in await refused(HostGuard([]), "https://portal.example.com/")


async def test_a_wildcard_never_grants_a_private_address() -> None:
    # an address matched only through a wildcard is checked: loopback and private are refused
    guard = HostGuard(["*.example.com", "*.0.0.1", "*.168.1.20"])
    assert "private or loopback address 127.0.0.1" in await refused(guard, "http://127.0.0.1/")
    assert "private or loopback address 192.168.1.20" in await refused(guard, "http://192.168.1.20/")
    assert "not on the allow-list" in await refused(guard, "https://example.com.evil.org/")


def test_allowed_hosts_are_bare_host_names() -> None:
    assert load_settings(browser_allowed_hosts=["a.example", "*.b.example", "::1"]).browser_allowed_hosts
    for wrong in ["https://a.example", "a.example:8080", "a.example/path", ""]:
        with pytest.raises(SettingsError, match="DEPUTY_BROWSER_ALLOWED_HOSTS: .*bare host name"):
            load_settings(browser_allowed_hosts=[wrong])


def test_screenshots_go_to_one_folder_per_run() -> None:
    assert run_folder("deputy-run7-s2-1") == "run7"
    assert run_folder("deputy-preview3-s1") == "preview3"
    assert shot_name("deputy-run7-s2-1", "after") == "s2-1-after.png"


def test_a_missing_chromium_names_the_setting() -> None:
    assert find_executable("") == "/usr/bin/chromium"  # Debian's package, as `make test` installs it
    with pytest.raises(PermanentError, match="no Chromium found .*/opt/nothing/chrome.*DEPUTY_BROWSER_EXECUTABLE"):
        find_executable("/opt/nothing/chrome")
