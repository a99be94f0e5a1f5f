"""Files in a Slack thread (a browser step's screenshots): Slack's upload in three steps,
through slack_sdk's ``files_upload_v2`` — files.getUploadURLExternal (name and size), the
bytes POSTed to the URL it gives, files.completeUploadExternal sharing them in the thread.

An upload that fails is logged and left: the message already carries each file's path, and
a missing picture must not stop a card or a result from being posted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


async def upload(client: AsyncWebClient, channel: str, thread_ts: str, paths: Sequence[str]) -> bool:
    """Share ``paths`` in the thread; False (logged) when Slack refused or could not be reached."""
    uploads = [{"file": path, "filename": Path(path).name, "title": Path(path).name} for path in paths]
    try:
        await client.files_upload_v2(file_uploads=uploads, channel=channel, thread_ts=thread_ts)
    except SlackApiError as err:
        data = err.response.data
        code = data.get("error") if isinstance(data, dict) else f"http_{err.response.status_code}"
        log.warning("Slack refused the upload of %d file(s) to %s: %s", len(paths), channel, code)
        return False
    except (SlackClientError, OSError) as err:
        log.warning("could not upload %d file(s) to Slack channel %s: %s", len(paths), channel,
                    type(err).__name__)
        return False
    return True
