"""Screenshots reach the Discord thread: a card's or result's files go as attachments of the
message (multipart: payload_json and files[n]); the fake refuses what Discord refuses."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from bot.chat.replies import RunResult
from bot.domain import Where
from tests.adapters.discord.conftest import Running
from tests.fakes.discord_server import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300


def shot(tmp_path: Path, name: str, size: int = 0) -> str:
    path = tmp_path / name
    path.write_bytes(PNG + name.encode() + b"\x00" * size)
    return str(path)


async def test_a_results_screenshots_are_attached_to_its_message(
        discord_bot: Running, fake: FakeDiscord, tmp_path: Path) -> None:
    where = Where(platform="discord", channel_id=fake.channel_id)
    files = (shot(tmp_path, "s1-page.png"), shot(tmp_path, "s2-after.png"))
    ref = await discord_bot.port.post(where, RunResult(goal_id=1, run_id=1, succeeded=True,
                                                       headline="Done: order 40 nuts", files=files))
    message = fake.messages[ref.message_id]
    assert [a["filename"] for a in message["attachments"]] == ["s1-page.png", "s2-after.png"]
    assert [fake.files[a["id"]] for a in message["attachments"]] == [PNG + b"s1-page.png", PNG + b"s2-after.png"]
    assert "Done: order 40 nuts" in json.dumps(message)  # one message: the result and its pictures


async def test_a_file_discord_would_not_take_is_left_out_not_the_message(
        discord_bot: Running, fake: FakeDiscord, tmp_path: Path) -> None:
    where = Where(platform="discord", channel_id=fake.channel_id)
    big = shot(tmp_path, "huge.png", size=11 * 1024 * 1024)
    ref = await discord_bot.port.post(where, RunResult(goal_id=1, run_id=1, succeeded=True, headline="Done",
                                                       files=(big, shot(tmp_path, "ok.png"))))
    assert [a["filename"] for a in fake.messages[ref.message_id]["attachments"]] == ["ok.png"]


@pytest.mark.parametrize("files, attachments, status, code", [
    ({"files[0]": b"x" * (10 * 1024 * 1024 + 1)}, [{"id": 0, "filename": "a.png"}], 413, 40005),
    ({f"files[{n}]": b"x" for n in range(11)}, [], 400, 50035),
    ({}, [{"id": 0, "filename": "a.png"}], 400, 50035),
])
async def test_the_fake_refuses_what_discord_refuses(
        fake: FakeDiscord, files: dict[str, bytes], attachments: list[dict[str, object]],
        status: int, code: int) -> None:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"content": "hi", "attachments": attachments}),
                   content_type="application/json")
    for name, data in files.items():
        form.add_field(name, data, filename="a.png", content_type="image/png")
    async with aiohttp.ClientSession() as session, session.post(
            f"{fake.api_url}/channels/{fake.channel_id}/messages", data=form,
            headers={"Authorization": f"Bot {fake.token}"}) as response:
        assert response.status == status
        assert (await response.json(content_type=None))["code"] == code
    assert fake.files == {}
