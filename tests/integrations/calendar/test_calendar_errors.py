"""How CalDAV failures reach the user: reconnect, clear failure, or retry — never a secret."""

from __future__ import annotations

import base64
import logging
import time

import pytest

from bot.errors import PermanentError, ReconnectNeeded, TransientError
from integrations.calendar.actions import create_event, list_calendars
from integrations.calendar.client import CalDavClient, check_credentials
from tests.integrations.calendar.conftest import (
    AUTH_PASSWORD,
    AUTH_USER,
    CalendarAccount,
    CannedServer,
    _free_port,
)

WRONG_PASSWORD = "hunter2-but-wrong"


def _leaks(text: str) -> list[str]:
    secrets = [AUTH_PASSWORD, WRONG_PASSWORD]
    secrets += [base64.b64encode(f"{AUTH_USER}:{s}".encode()).decode() for s in secrets]
    return [s for s in secrets if s in text]


async def test_the_right_password_is_accepted(radicale_auth_url: str) -> None:
    account = CalendarAccount(radicale_auth_url, AUTH_USER, AUTH_PASSWORD)
    await check_credentials(account.credentials)
    result = await list_calendars(CalDavClient(5), account.context())
    assert result == {"calendars": []}


async def test_a_wrong_password_asks_to_reconnect_and_leaks_nothing(
    radicale_auth_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account = CalendarAccount(radicale_auth_url, AUTH_USER, WRONG_PASSWORD)
    with pytest.raises(ReconnectNeeded) as raised:
        await create_event(CalDavClient(5), account.context(), title="x", start="2026-03-02T10:00",
                           end="2026-03-02T11:00", attendees=[])  # fmt: skip
    assert "connect calendar" in str(raised.value)
    with pytest.raises(ReconnectNeeded) as at_connect:
        await check_credentials(account.credentials)
    texts = [str(raised.value), repr(raised.value), str(at_connect.value), caplog.text]
    texts += [str(raised.value.__cause__), repr(raised.value.__cause__)]
    assert _leaks("\n".join(texts)) == []
    assert caplog.records, "the client should have logged something at DEBUG to check"


async def test_missing_or_misplaced_credentials(radicale_auth_url: str) -> None:
    with pytest.raises(ReconnectNeeded):
        await check_credentials({"url": radicale_auth_url, "username": AUTH_USER})
    in_url = radicale_auth_url.replace("http://", f"http://{AUTH_USER}:{AUTH_PASSWORD}@")
    with pytest.raises(PermanentError, match="not in the URL") as raised:
        await check_credentials({"url": in_url, "username": AUTH_USER, "password": AUTH_PASSWORD})
    assert _leaks(str(raised.value)) == []
    with pytest.raises(PermanentError, match="https://"):
        await check_credentials({"url": "caldav.example.com", "username": "a", "password": "b"})


async def test_nothing_listening_is_worth_a_retry() -> None:
    credentials = {"url": f"http://127.0.0.1:{_free_port()}/", "username": "a", "password": "b"}
    with pytest.raises(TransientError, match="cannot reach"):
        await check_credentials(credentials, timeout_seconds=2)


async def test_server_errors_are_retried_honouring_retry_after(canned: CannedServer) -> None:
    canned.status, canned.headers = 503, {"Retry-After": "7"}
    account = CalendarAccount(canned.url, "a", "b")
    with pytest.raises(TransientError) as raised:
        await list_calendars(CalDavClient(2), account.context())
    assert raised.value.retry_after == 7
    canned.status, canned.headers = 500, None
    with pytest.raises(TransientError, match="500"):
        await list_calendars(CalDavClient(2), account.context())


async def test_forbidden_asks_to_reconnect(canned: CannedServer) -> None:
    canned.status = 403
    with pytest.raises(ReconnectNeeded):
        await list_calendars(CalDavClient(2), CalendarAccount(canned.url, "a", "b").context())


async def test_no_caldav_service_at_the_url(canned: CannedServer) -> None:
    canned.status = 404
    with pytest.raises(PermanentError, match="no CalDAV service at that URL"):
        await check_credentials({"url": canned.url, "username": "a", "password": "b"}, timeout_seconds=2)


async def test_a_silent_server_times_out(canned: CannedServer) -> None:
    canned.hang = True
    started = time.monotonic()
    with pytest.raises(TransientError, match="did not answer in time"):
        await list_calendars(CalDavClient(0.3), CalendarAccount(canned.url, "a", "b").context())
    assert time.monotonic() - started < 3
    assert canned.requests >= 1


async def test_a_web_page_is_not_a_calendar_server(canned: CannedServer) -> None:
    canned.status, canned.body = 200, b"<html><body>Welcome</body></html>"
    with pytest.raises(PermanentError, match="does not offer CalDAV"):
        await check_credentials({"url": canned.url, "username": "a", "password": "b"}, timeout_seconds=2)
    canned.status, canned.body = 207, b"this is not XML"
    with pytest.raises(PermanentError, match="not CalDAV"):
        await check_credentials({"url": canned.url, "username": "a", "password": "b"}, timeout_seconds=2)
