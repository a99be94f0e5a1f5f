"""Sending a Slack call again when its connection failed, without posting a message twice.

slack_sdk's ``AsyncConnectionErrorRetryHandler`` resends a call once when the connection
fails. For most calls that is right: the common case is a pooled keep-alive connection Slack
had already closed, where the request never arrived. For ``chat.postMessage`` it is wrong
in the other case — a connection that breaks after Slack took the post and before its
answer came — because Slack takes no idempotency key there: the message would be posted
twice. So posts are not resent by the client; :class:`bot.adapters.slack.port.SlackPort`
first looks for a post that carries metadata (a plan card, a question, a slash command's
root message) and sends it again only if Slack does not have it.
"""

from __future__ import annotations

from aiohttp import ClientOSError, ServerConnectionError, ServerDisconnectedError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# what slack_sdk's handler resends on: the connection failed, the answer never came
CONNECTION_ERRORS = (ServerConnectionError, ServerDisconnectedError, ClientOSError)
POST = "chat.postMessage"


class ResendExceptPosts(AsyncConnectionErrorRetryHandler):
    """slack_sdk's connection-error handler, for every method but ``chat.postMessage``."""

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if request.url.endswith("/" + POST):
            return False
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)

