"""One bot in several Slack workspaces: each request is answered with its own workspace's token.

Bolt's `authorize` hook (an `AsyncAuthorize`) looks the request's team up in our installations
(stored encrypted, `klepaas.storage.installations`); a team with no installation gets
`SLACK_BOT_TOKEN`, the single-workspace default. A Bolt middleware then hands Bolt's per-request
client (which carries that token) to the replier, so every reply of the request, including work
spawned after the ack, goes out with the right token.

Posts no request started (the approval expiry sweep, alerts, GitHub deploy threads, approvals asked
for by MCP or the HTTP API) go through `WorkspaceClients`: the token of the workspace owning the
target channel. That workspace is the one stored with the record when it has one (an approval, a
project), else the one the channel was last seen in (requests name their team and channel), else
found once by asking `conversations.info` with SLACK_BOT_TOKEN and then each installation's token.
A channel no workspace claims gets SLACK_BOT_TOKEN, as with a single workspace.
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
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.handlers.slack.replies import answer_with
from klepaas.logging import get_logger
from klepaas.storage.installations import SlackInstallations

log = get_logger(__name__)

# How long a looked-up installation (or its absence) is trusted before the database is asked
# again: short enough that a new install or reinstall is picked up at once for practical purposes,
# long enough that a busy workspace does not cost a database read before every ack.
LOOKUP_TTL_SECONDS = 10.0


class TeamTokens:
    """A team's stored bot token (None: not installed), trusted for LOOKUP_TTL_SECONDS."""

    def __init__(self, installations: SlackInstallations) -> None:
        self.installations = installations
        self._tokens: dict[str, tuple[float, str | None]] = {}  # team key -> (expires, bot token)

    async def token(self, enterprise_id: str | None, team_id: str | None) -> str | None:
        key = team_id or f"enterprise:{enterprise_id}"
        cached = self._tokens.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        token = await asyncio.to_thread(self._stored_token, enterprise_id, team_id)
        self._tokens[key] = (time.monotonic() + LOOKUP_TTL_SECONDS, token)
        return token

    def _stored_token(self, enterprise_id: str | None, team_id: str | None) -> str | None:
        found = self.installations.find(team_id) if team_id else None
        if found is None and enterprise_id:  # an org-wide install is stored without a team
            found = self.installations.find(None)
        token = (found or {}).get("bot_token")
        return token if isinstance(token, str) and token else None


class WorkspaceAuthorize(AsyncAuthorize):
    def __init__(self, tokens: TeamTokens, default_token: str | None) -> None:
        self.tokens = tokens
        self._default_token = default_token
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
        token = await self.tokens.token(enterprise_id, team_id) or self._default_token
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



class WorkspaceClients:
    """`(channel, workspace or None) -> client` for posts no Slack request started: the
    `klepaas.handlers.slack.replies.WorkspaceClient` the replier is given with multi-workspace
    installs. A known workspace without an installation (the default one) gets the default client."""

    def __init__(self, tokens: TeamTokens, default: AsyncWebClient) -> None:
        self._tokens = tokens
        self._default = default
        self._clients: dict[str, AsyncWebClient] = {}  # bot token -> its client
        self._teams: dict[str, str | None] = {}  # channel -> its workspace (None: the default one)
        self._asking = asyncio.Lock()

    def saw(self, channel: str | None, team: str | None) -> None:
        """A request came from `channel` in `team`: that is where the channel lives."""
        if channel and team:
            self._teams[channel] = team

    async def __call__(self, channel: str, workspace: str | None = None) -> AsyncWebClient:
        team = workspace if workspace is not None else await self.team_of(channel)
        token = await self._tokens.token(None, team) if team else None
        return self._client(token) if token else self._default

    async def team_of(self, channel: str) -> str | None:
        """The workspace owning `channel`; None for the default workspace or when none claims it."""
        if channel in self._teams:
            return self._teams[channel]
        async with self._asking:  # a burst of alerts to a new channel asks Slack once
            if channel not in self._teams:
                self._teams[channel] = await self._ask(channel)
        return self._teams[channel]

    async def _ask(self, channel: str) -> str | None:
        if await self._sees(self._default, channel):
            return None
        teams = await asyncio.to_thread(self._tokens.installations.teams)
        for team in teams:
            token = await self._tokens.token(None, team)
            if token and await self._sees(self._client(token), channel):
                return team
        log.warning("no installed workspace knows the channel; posting with SLACK_BOT_TOKEN", channel=channel)
        return None

    @staticmethod
    async def _sees(client: AsyncWebClient, channel: str) -> bool:
        if client.token is None:
            return False
        try:
            await client.conversations_info(channel=channel)
        except SlackApiError:
            return False
        return True

    def _client(self, token: str) -> AsyncWebClient:
        if token == self._default.token:
            return self._default
        client = self._clients.get(token)
        if client is None:
            client = AsyncWebClient(
                token=token,
                base_url=self._default.base_url,
                timeout=self._default.timeout,
                session=self._default.session,
                logger=self._default.logger,
                retry_handlers=list(self._default.retry_handlers),
            )
            self._clients[token] = client
        return client


def answer_each_request_with_its_workspace_client(
    app: AsyncApp, clients: WorkspaceClients | None = None
) -> None:
    """After authorization, replies of the request use Bolt's per-request client (its token).
    `clients` learns from each request which workspace its channel belongs to.

    Bolt runs the listener after the middleware chain has returned, in the same task, so the
    client is set and not reset here: each Socket Mode envelope is dispatched in a task of its own
    (slack_sdk's `process_message`), whose context ends with it."""

    @app.middleware
    async def use_the_request_client(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        answer_with(context.client)
        if clients is not None:
            clients.saw(context.channel_id, context.team_id)
        return await next()
