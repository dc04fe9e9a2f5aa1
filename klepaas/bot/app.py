"""The Bolt app: one `AsyncWebClient` (pointed at `SLACK_API_URL`) shared with the socket handler.

`process_before_response=True`: Bolt awaits the listener and sends the ack as soon as it
returns. Our listeners call `ack()` first and hand the slow part to a task, so the ack leaves in
the first synchronous step. (Bolt's default instead starts the listener as a task and polls for
the ack every 10 ms, which puts a floor of ~10 ms under every ack.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.bot.workspaces import (
    TeamTokens,
    WorkspaceAuthorize,
    WorkspaceClients,
    answer_each_request_with_its_workspace_client,
)
from klepaas.commands.services import Services
from klepaas.config import Settings
from klepaas.errors import ConfigError
from klepaas.handlers.slack import SlackDeps, build_deps, register
from klepaas.logging import get_logger
from klepaas.storage.installations import Sealer, SlackInstallations

log = get_logger(__name__)


@dataclass
class Bot:
    app: AsyncApp
    client: AsyncWebClient
    deps: SlackDeps


def web_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The Web API client. Give it a `session` to reuse connections (else one per call)."""
    token = settings.slack.bot_token
    if token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set", hint="the bot token starts with xoxb-")
    base_url = settings.slack.api_url.rstrip("/") + "/"  # slack_sdk joins method names onto it
    client = AsyncWebClient(token=token.get_secret_value(), base_url=base_url, session=session)
    # chat.update on a live rollout can hit Slack's rate limit: wait as told (Retry-After), twice at most.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


def build_bot(services: Services, settings: Settings, *, client: AsyncWebClient | None = None) -> Bot:
    client = client or web_client(settings)
    authorize = _workspace_authorize(services, settings, client)
    app = AsyncApp(
        # With `authorize`, Bolt builds each request's client from this one and the request's token.
        client=client if authorize is None else _without_token(client),
        authorize=authorize,  # type: ignore[arg-type]  # Bolt takes an AsyncAuthorize as it is
        process_before_response=True,
        # Socket Mode requests are not signed; the WebSocket itself is authenticated by the app token.
        request_verification_enabled=False,
        logger=logging.getLogger("klepaas.slack"),
    )
    deps = build_deps(services, client, settings)
    if authorize is not None:
        # Posts no request started go with the token of the workspace owning their channel.
        clients = WorkspaceClients(authorize.tokens, client)
        deps.replier.workspaces = clients
        answer_each_request_with_its_workspace_client(app, clients)
    register(app, deps)

    @app.error
    async def on_listener_error(error: Exception, body: dict[str, Any], response: BoltResponse) -> None:
        # Only the synchronous part (ack, translate, spawn) runs here; a failure in it is a bug.
        log.error("a Slack listener failed before its work was spawned", error=repr(error),
                  type=body.get("type"))

    return Bot(app=app, client=client, deps=deps)


def _workspace_authorize(
    services: Services, settings: Settings, client: AsyncWebClient
) -> WorkspaceAuthorize | None:
    """With KLEPAAS_ENCRYPTION_KEY set, workspaces may install the app (Slack OAuth): each request
    is then authorized with its workspace's stored token, SLACK_BOT_TOKEN for any other team."""
    key = settings.side.encryption_key
    if key is None:
        return None  # single workspace: SLACK_BOT_TOKEN for everything (Bolt's own default)
    installations = SlackInstallations(services.storage.engine, Sealer(key.get_secret_value()))
    return WorkspaceAuthorize(TeamTokens(installations), client.token)


def _without_token(client: AsyncWebClient) -> AsyncWebClient:
    """The same client settings (URL, session, retries) with no token of its own."""
    return AsyncWebClient(
        base_url=client.base_url,
        timeout=client.timeout,
        session=client.session,
        logger=client.logger,
        retry_handlers=list(client.retry_handlers),
    )
