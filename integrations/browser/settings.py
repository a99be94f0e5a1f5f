"""The browser integration's settings, read as DEPUTY_BROWSER_… variables."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from bot.sdk import IntegrationSettings


class BrowserSettings(IntegrationSettings):
    browser_executable: str = Field(
        default="", description="Chromium binary the browser integration drives; empty: Debian's /usr/bin/chromium.")
    browser_allowed_hosts: list[str] = Field(
        default_factory=list,
        description='Hosts the browser may open, as JSON: ["portal.example.com", "*.example.org"]; empty: none.')
    browser_download_max_bytes: int = Field(
        default=25_000_000, ge=1, description="Largest file the browser's download action keeps, in bytes.")

    @field_validator("browser_allowed_hosts")
    @classmethod
    def _bare_hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            port_or_scheme = ":" in host and not _is_ip(host.strip("[]"))
            if not host.strip() or "/" in host or port_or_scheme:
                raise ValueError(f"{host!r}: write a bare host name (portal.example.com or "
                                 "*.example.com), without scheme, port or path")
        return value


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
