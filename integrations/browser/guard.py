"""Which pages the browser may load: the allow-list, no file://, no private addresses.

The rule, checked for the page a step names and again for every request the page makes
(redirects, frames, scripts), so a listed page cannot pull the browser somewhere else:

- only http and https (no file://, data:, chrome:// ...);
- the host must be on the allow-list (``example.com`` exactly, ``*.example.com`` for its
  subdomains); an empty list allows nothing;
- a loopback, private, link-local or reserved address is refused unless its host is listed
  exactly (an admin who lists ``127.0.0.1`` or ``intranet.local`` meant it; a wildcard never
  grants a private address, so a public name that resolves inward is refused).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from bot.sdk import PermanentError


class HostRefused(PermanentError):
    """The page is outside what the browser may load; the message says which rule."""


def _inward(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class HostGuard:
    def __init__(self, allowed_hosts: Sequence[str]) -> None:
        self.exact = {h.lower().rstrip(".") for h in allowed_hosts if not h.startswith("*.")}
        self.suffixes = tuple(h.lower()[1:] for h in allowed_hosts if h.startswith("*."))

    async def check(self, url: str) -> None:
        """Raise HostRefused naming the reason when the browser must not load ``url``."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise HostRefused(f"browser: refused {parts.scheme or 'a schemeless'}:// address "
                              f"{url[:200]!r}: only http and https pages are opened")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise HostRefused(f"browser: refused {url[:200]!r}: it names no host")
        if host in self.exact:
            return
        listed_hint = ("DEPUTY_BROWSER_ALLOWED_HOSTS (browser_allowed_hosts) lists the sites "
                       "the browser may open")
        if not host.endswith(self.suffixes) or not self.suffixes:
            raise HostRefused(f"browser: refused {host}: it is not on the allow-list; "
                              f"{listed_hint}")
        literal = _ip_literal(host)
        addresses = [literal] if literal else await _resolve(host)
        inward = [a for a in addresses if _inward(a)]
        if inward:
            raise HostRefused(f"browser: refused {host}: it resolves to the private or loopback "
                              f"address {inward[0]}; list {host} itself in {listed_hint} to allow it")


async def _resolve(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise HostRefused(f"browser: cannot resolve {host}: {err.strerror}") from err
    return sorted({str(info[4][0]) for info in infos})
