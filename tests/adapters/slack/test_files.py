"""Screenshots reach the Slack thread: SlackPort uploads a card's or a result's files in
Slack's three steps, into the thread, after the message; the fake refuses what Slack does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.port import ChannelLimiter, SlackPort, ThreadBook, make_client
from bot.chat.replies import RunResult
from bot.domain import Where
from tests.adapters.slack.conftest import refused, slack_settings
from tests.fakes.slack_api import FakeSlackApi

CHANNEL = "C0PLANS"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300


@pytest.fixture
async def port(slack_api: FakeSlackApi) -> AsyncIterator[SlackPort]:
    yield SlackPort(make_client(slack_settings(slack_api)), ChannelLimiter(0), ThreadBook())


def shot(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(PNG + name.encode())
    return str(path)


async def test_a_results_screenshots_are_uploaded_into_its_thread(
        port: SlackPort, slack_api: FakeSlackApi, tmp_path: Path) -> None:
    thread = await port.open_thread(Where(platform="slack", channel_id=CHANNEL), "order nuts", None)
    files = (shot(tmp_path, "s1-page.png"), shot(tmp_path, "s2-after.png"))
    await port.post(thread, RunResult(goal_id=1, run_id=1, succeeded=True, headline="Done: order",
                                      files=files))
    # the result first, then the two uploads, shared in one completion
    assert [c.method for c in slack_api.calls] == [
        "chat.postMessage", "chat.postMessage", "files.getUploadURLExternal",
        "files.getUploadURLExternal", "files.completeUploadExternal"]
    asked = slack_api.of("files.getUploadURLExternal")[0].params
    assert (asked["filename"], int(asked["length"])) == ("s1-page.png", len(PNG) + 11)
    shared = sorted(slack_api.files.values(), key=lambda f: f["name"])
    assert [(f["name"], f["channel"], f["thread_ts"]) for f in shared] == [
        ("s1-page.png", CHANNEL, thread.thread_id), ("s2-after.png", CHANNEL, thread.thread_id)]
    assert shared[1]["bytes"] == PNG + b"s2-after.png"  # the bytes of the file, as Slack got them
    assert all(c.answer and c.answer["ok"] for c in slack_api.calls)


async def test_a_refused_upload_still_posts_the_result(
        port: SlackPort, slack_api: FakeSlackApi, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    slack_api.fail("files.completeUploadExternal", "not_in_channel")
    where = Where(platform="slack", channel_id=CHANNEL, thread_id="1760000001.000001")
    ref = await port.post(where, RunResult(goal_id=1, run_id=1, succeeded=True, headline="Done",
                                           files=(shot(tmp_path, "s1-after.png"),)))
    assert ref.message_id and slack_api.files == {}
    assert "Slack refused the upload of 1 file(s) to C0PLANS: not_in_channel" in caplog.text


async def test_a_message_without_files_uploads_nothing(port: SlackPort, slack_api: FakeSlackApi) -> None:
    await port.post(Where(platform="slack", channel_id=CHANNEL, thread_id="1.1"),
                    RunResult(goal_id=1, run_id=1, succeeded=True, headline="Done"))
    assert [c.method for c in slack_api.calls] == ["chat.postMessage"]


# ---- the fake refuses what Slack refuses ----------------------------------------------


async def _error(call: Any) -> str:
    return str((await refused(call))["error"])


async def test_the_fake_refuses_bad_uploads_as_slack_does(web: AsyncWebClient, slack_api: FakeSlackApi) -> None:
    # getUploadURLExternal reads form or query arguments, never a JSON body
    assert await _error(web.api_call("files.getUploadURLExternal", json={"filename": "a.png", "length": 3})) \
        == "invalid_arguments"
    assert await _error(web.files_getUploadURLExternal(filename="a.png", length=0)) == "invalid_arguments"
    got = await web.files_getUploadURLExternal(filename="a.png", length=3)
    # completing before the bytes arrived, or an id never issued
    assert await _error(web.files_completeUploadExternal(files=[{"id": got["file_id"]}], channel_id=CHANNEL)) \
        == "file_not_found"
    assert await _error(web.files_completeUploadExternal(files=[{"id": "F404"}], channel_id=CHANNEL)) \
        == "file_not_found"
    # a thread needs exactly one channel
    assert await _error(web.files_completeUploadExternal(files=[{"id": got["file_id"]}], thread_ts="1.1")) \
        == "invalid_arguments"
    assert slack_api.files == {}
