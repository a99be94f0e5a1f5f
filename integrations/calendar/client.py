"""The only module that talks to CalDAV servers (RFC 4791), through the ``caldav`` library.

``caldav``'s DAVClient is synchronous, so every operation runs whole in a worker thread
(``asyncio.to_thread``) under a timeout, with a per-request timeout as well so an abandoned
thread ends soon too. Credentials are passed per call and live only inside that call; the
library's exceptions are translated here into Deputy's error vocabulary, with messages that
never carry the password (nor the server's raw answer, which may echo request headers).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import niquests.exceptions
from caldav.collection import Calendar, Principal
from caldav.davclient import DAVClient
from caldav.lib import error as dav_error

from bot.sdk import (
    IntegrationError,
    PermanentError,
    ReconnectNeeded,
    TransientError,
    error_for_status,
)

INTEGRATION = "calendar"
T = TypeVar("T")


class NotOnServer(PermanentError):
    """The server answered 404: a wrong URL at connect time, a vanished object later."""


@dataclass(frozen=True)
class CalendarRef:
    name: str
    url: str


@dataclass(frozen=True)
class FetchedEvent:
    """The iCalendar text of one stored object, and the calendar it lives in."""

    calendar: str
    ics: str


@dataclass(frozen=True)
class _Login:
    url: str
    username: str
    password: str


def _login(credentials: Mapping[str, str]) -> _Login:
    url = credentials.get("url", "").strip()
    username = credentials.get("username", "").strip()
    password = credentials.get("password", "")
    if not url or not username or not password:
        raise ReconnectNeeded(INTEGRATION)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentError("calendar: the server URL must start with https:// (or http://)")
    if parts.username or parts.password:
        # a password inside the URL would end up in library logs and error texts
        raise PermanentError("calendar: put the username and password in their own fields, not in the URL")
    return _Login(url=url, username=username, password=password)


def translate(err: BaseException) -> IntegrationError:
    """Deputy's error for a ``caldav`` or network failure. Never includes the server's text."""
    if isinstance(err, dav_error.AuthorizationError):
        return ReconnectNeeded(INTEGRATION)
    if isinstance(err, dav_error.NotFoundError) or getattr(err, "status", None) == 404:
        return NotOnServer("calendar: not found on the server")
    if isinstance(err, dav_error.RateLimitError):
        return TransientError("calendar: the server asks us to slow down", retry_after=err.retry_after_seconds)
    if isinstance(err, dav_error.DAVError):
        mapped = error_for_status(INTEGRATION, err.status) if err.status else None
        return mapped or PermanentError(f"calendar: the server refused the request ({type(err).__name__})")
    if isinstance(err, niquests.exceptions.ConnectTimeout | niquests.exceptions.SSLError):
        return TransientError("calendar: cannot reach the calendar server", sent=False)
    if isinstance(err, niquests.exceptions.Timeout | TimeoutError):
        return TransientError("calendar: the server did not answer in time", sent=None)
    if isinstance(err, niquests.exceptions.ConnectionError):
        if _never_connected(err):
            return TransientError("calendar: cannot reach the calendar server", sent=False)
        return TransientError("calendar: the connection to the calendar server broke", sent=None)
    if isinstance(err, niquests.exceptions.RequestException):
        return PermanentError("calendar: the server URL cannot be used")
    if isinstance(err, ConnectionRefusedError | socket.gaierror):
        return TransientError("calendar: cannot reach the calendar server", sent=False)
    return TransientError(f"calendar: network error ({type(err).__name__})", sent=None)


# what urllib3 (under niquests) names a failure to open the connection: nothing was sent
_CONNECT_FAILURES = ("NewConnectionError", "NameResolutionError", "ConnectTimeoutError")


def _never_connected(err: BaseException) -> bool:
    cause = err.args[0] if err.args else None
    reason = getattr(cause, "reason", cause)
    return type(reason).__name__ in _CONNECT_FAILURES


def _sync(value: T | Coroutine[Any, Any, T]) -> T:
    """caldav's objects serve sync and async clients; with DAVClient they return plain values."""
    if isinstance(value, Coroutine):
        value.close()
        raise TypeError("caldav returned a coroutine to a synchronous client")
    return value


def _calendar_name(calendar: Calendar) -> str:
    return str(calendar.get_display_name() or calendar.id or calendar.url)


def _calendars(principal: Principal) -> list[Calendar]:
    return list(_sync(principal.get_calendars()))


def _pick(calendars: list[Calendar], wanted: str | None) -> Calendar:
    """The calendar named ``wanted`` (display name, id or URL), or the first holding events."""
    if not calendars:
        raise PermanentError("calendar: your account has no calendar to put events in")
    if wanted:
        key = wanted.strip().casefold()
        for calendar in calendars:
            names = {_calendar_name(calendar).casefold(), str(calendar.id).casefold(), str(calendar.url).casefold()}
            if key in names:
                return calendar
        known = ", ".join(_calendar_name(c) for c in calendars)
        raise PermanentError(f"calendar: no calendar named {wanted!r} (you have: {known})")
    for calendar in calendars:
        if "VEVENT" in _sync(calendar.get_supported_components()):
            return calendar
    raise PermanentError("calendar: none of your calendars accepts events")


def _find(calendars: list[Calendar], uid: str) -> tuple[Calendar, Any] | None:
    for calendar in calendars:
        try:
            return calendar, _sync(calendar.get_event_by_uid(uid))
        except dav_error.NotFoundError:
            continue
    return None


class CalDavClient:
    """CalDAV operations for one user per call. Built once per process by the client factory."""

    def __init__(self, timeout_seconds: float = 20.0) -> None:
        self.timeout_seconds = timeout_seconds

    async def _run(self, credentials: Mapping[str, str], work: Callable[[DAVClient], T]) -> T:
        login = _login(credentials)

        def call() -> T:
            with DAVClient(
                url=login.url,
                username=login.username,
                password=login.password,
                timeout=self.timeout_seconds,  # type: ignore[arg-type]  # niquests takes floats
            ) as dav:
                return work(dav)

        try:
            # several requests make one operation: allow a few request timeouts in total
            return await asyncio.wait_for(asyncio.to_thread(call), self.timeout_seconds * 3)
        except IntegrationError:
            raise
        except (dav_error.DAVError, OSError) as err:
            raise translate(err) from err
        except (AttributeError, ValueError, TypeError, SyntaxError) as err:
            # caldav meeting an answer it cannot parse (an HTML page, broken XML)
            raise PermanentError("calendar: the server's answer is not CalDAV; check the URL") from err

    async def list_calendars(self, credentials: Mapping[str, str]) -> list[CalendarRef]:
        def work(dav: DAVClient) -> list[CalendarRef]:
            return [CalendarRef(_calendar_name(c), str(c.url)) for c in _calendars(dav.principal())]

        return await self._run(credentials, work)

    async def verify(self, credentials: Mapping[str, str]) -> None:
        """The login works and the server speaks CalDAV (its DAV header says calendar-access)."""

        def work(dav: DAVClient) -> bool:
            _calendars(dav.principal())
            return bool(_sync(dav.check_cdav_support()))

        if not await self._run(credentials, work):
            raise PermanentError("calendar: the server at that URL does not offer CalDAV")

    async def events(
        self, credentials: Mapping[str, str], start: datetime, end: datetime, calendar: str | None
    ) -> list[FetchedEvent]:
        """Events overlapping [start, end), recurring ones expanded to their occurrences."""

        def work(dav: DAVClient) -> list[FetchedEvent]:
            everything = _calendars(dav.principal())
            chosen = [_pick(everything, calendar)] if calendar else everything
            found: list[FetchedEvent] = []
            for cal in chosen:
                name = _calendar_name(cal)
                items: list[Any] = _sync(cal.search(start=start, end=end, event=True, expand=True))
                found.extend(FetchedEvent(name, str(item.data)) for item in items)
            return found

        return await self._run(credentials, work)

    async def find(self, credentials: Mapping[str, str], uid: str) -> FetchedEvent | None:
        def work(dav: DAVClient) -> FetchedEvent | None:
            hit = _find(_calendars(dav.principal()), uid)
            return FetchedEvent(_calendar_name(hit[0]), str(hit[1].data)) if hit else None

        return await self._run(credentials, work)

    async def create(
        self, credentials: Mapping[str, str], calendar: str | None, uid: str, ics: str
    ) -> tuple[FetchedEvent, bool]:
        """Store ``ics`` unless an event with ``uid`` exists; True when this call created it."""

        def work(dav: DAVClient) -> tuple[FetchedEvent, bool]:
            calendars = _calendars(dav.principal())
            existing = _find(calendars, uid)
            if existing:
                return FetchedEvent(_calendar_name(existing[0]), str(existing[1].data)), False
            target = _pick(calendars, calendar)
            # the resource name is the UID, so a racing retry rewrites the same event, never a second
            saved = _sync(target.add_event(ics))
            return FetchedEvent(_calendar_name(target), str(saved.data)), True

        return await self._run(credentials, work)

    async def update(
        self, credentials: Mapping[str, str], uid: str, change: Callable[[str], str]
    ) -> tuple[FetchedEvent, FetchedEvent]:
        """Rewrite the event ``uid`` with ``change``; returns (before, after)."""

        def work(dav: DAVClient) -> tuple[FetchedEvent, FetchedEvent]:
            hit = _find(_calendars(dav.principal()), uid)
            if hit is None:
                raise PermanentError(f"calendar: no event with id {uid!r}")
            cal, obj = hit
            name = _calendar_name(cal)
            before = FetchedEvent(name, str(obj.data))
            obj.data = change(before.ics)
            obj.save()
            return before, FetchedEvent(name, str(obj.data))

        return await self._run(credentials, work)


async def check_credentials(credentials: Mapping[str, str], timeout_seconds: float = 20.0) -> None:
    """Called when a user connects the calendar: the server must accept the login and
    show at least the user's principal. Raises ReconnectNeeded, PermanentError or
    TransientError (server unreachable: worth trying again later)."""
    try:
        await CalDavClient(timeout_seconds).verify(credentials)
    except NotOnServer as err:
        raise PermanentError("calendar: no CalDAV service at that URL") from err
