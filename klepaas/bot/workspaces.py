"""One bot in several Slack workspaces: each request is answered with its own workspace's token.

Bolt's `authorize` hook (an `AsyncAuthorize`) looks the request's team up in our installations
(stored encrypted, `klepaas.storage.installations`); a team with no installation gets
`SLACK_BOT_TOKEN`, the single-workspace default. A Bolt middleware then hands Bolt's per-request
client (which carries that token) to the replier, so every reply of the request, including work
spawned after the ack, goes out with the right token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse

from klepaas.handlers.slack.replies import answer_with
from klepaas.storage.installations import SlackInstallations

# How long a looked-up installation (or its absence) is trusted before the database is asked
# again: short enough that a new install or reinstall is picked up at once for practical purposes,
# long enough that a busy workspace does not cost a database read before every ack.
LOOKUP_TTL_SECONDS = 10.0


class WorkspaceAuthorize(AsyncAuthorize):
    def __init__(self, installations: SlackInstallations, default_token: str | None) -> None:
        self._installations = installations
        self._default_token = default_token
        self._tokens: dict[str, tuple[float, str | None]] = {}  # team key -> (expires, bot token)
        self._results: dict[str, AuthorizeResult] = {}  # bot token -> auth.test's answer
        self._asking = asyncio.Lock()  # first requests of a workspace share one auth.test

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_: Any,
    ) -> AuthorizeResult | None:
        token = await self._token(enterprise_id, team_id) or self._default_token
        if token is None:
            return None  # Bolt tells the person the app is not installed in their workspace
        result = self._results.get(token)
        if result is not None:
            return result
        async with self._asking:  # once per token: who the bot is there (bot id, bot user id)
            result = self._results.get(token)
            if result is None:
                answer = await context.client.auth_test(token=token)
                result = AuthorizeResult.from_auth_test_response(auth_test_response=answer, bot_token=token)
                self._results[token] = result
        return result

    async def _token(self, enterprise_id: str | None, team_id: str | None) -> str | None:
        key = team_id or f"enterprise:{enterprise_id}"
        cached = self._tokens.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        token = await asyncio.to_thread(self._stored_token, enterprise_id, team_id)
        self._tokens[key] = (time.monotonic() + LOOKUP_TTL_SECONDS, token)
        return token

    def _stored_token(self, enterprise_id: str | None, team_id: str | None) -> str | None:
        found = self._installations.find(team_id) if team_id else None
        if found is None and enterprise_id:  # an org-wide install is stored without a team
            found = self._installations.find(None)
        token = (found or {}).get("bot_token")
        return token if isinstance(token, str) and token else None


def answer_each_request_with_its_workspace_client(app: AsyncApp) -> None:
    """After authorization, replies of the request use Bolt's per-request client (its token).

    Bolt runs the listener after the middleware chain has returned, in the same task, so the
    client is set and not reset here: each Socket Mode envelope is dispatched in a task of its own
    (slack_sdk's `process_message`), whose context ends with it."""

    @app.middleware
    async def use_the_request_client(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        answer_with(context.client)
        return await next()
