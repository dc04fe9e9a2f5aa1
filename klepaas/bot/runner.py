"""`klepaas run`: the side server first, then storage and services, then the Slack socket.

Tokens are checked before anything connects; a missing or malformed one stops start-up with a
`ConfigError` naming the setting. `BotRunner` is the same life cycle in steps, for tests and
benchmarks that need the running parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.bot.app import Bot, build_bot, web_client
from klepaas.bot.http import CachedProbe, Readiness, SideServer, build_http_app, start_side_server
from klepaas.bot.monitoring import Monitoring
from klepaas.bot.side_routes import RouteRegistrar
from klepaas.bot.socket_mode import AckingSocketModeHandler
from klepaas.commands.services import Services, build_services
from klepaas.config import Settings, SlackSettings
from klepaas.errors import ConfigError
from klepaas.handlers.side import SideContext
from klepaas.handlers.slack import flow
from klepaas.handlers.slack.tasks import BackgroundTasks
from klepaas.logging import get_logger
from klepaas.storage.approvals import Approvals

log = get_logger(__name__)

_TOKEN_PREFIXES = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}


def check_tokens(slack: SlackSettings) -> tuple[str, str]:
    """The bot and app tokens, or a ConfigError naming the one that is missing or malformed."""
    values = {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_APP_TOKEN": slack.app_token}
    tokens: list[str] = []
    for name, secret in values.items():
        prefix = _TOKEN_PREFIXES[name]
        kind = "bot token (OAuth & Permissions)" if name == "SLACK_BOT_TOKEN" else "app-level token"
        value = secret.get_secret_value().strip() if secret is not None else ""
        if not value:
            raise ConfigError(f"{name} is not set", hint=f"set it to the {kind}; it starts with {prefix}")
        if not value.startswith(prefix) or any(c.isspace() for c in value) or len(value) <= len(prefix):
            raise ConfigError(
                f"{name} is malformed: it should start with {prefix}",
                hint=f"copy the {kind} from the Slack app settings",
            )
        tokens.append(value)
    return tokens[0], tokens[1]


class BotRunner:
    def __init__(
        self,
        settings: Settings,
        *,
        services: Services | None = None,
        owns_services: bool | None = None,
        routes: Sequence[RouteRegistrar] = (),
    ) -> None:
        self._routes = routes  # more side-server routes (MCP), from the composition above
        self.monitoring = Monitoring()  # /metrics, the Alertmanager receiver, the cluster watcher
        self.settings = settings
        # Services built here are closed here; given ones only if the caller hands them over.
        self._owns_services = services is None if owns_services is None else owns_services
        self.services: Services | None = services
        self._stopped = False
        self.readiness = Readiness()
        self.side: SideServer | None = None
        self.side_context = SideContext(settings)
        self.bot: Bot | None = None
        self.handler: AckingSocketModeHandler | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._warm_up: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        _, app_token = check_tokens(self.settings.slack)
        self.side_context = SideContext(self.settings)
        self.side = await start_side_server(
            self.settings.http, build_http_app(
                self.readiness, self.side_context, (*self._routes, self.monitoring.register_routes)
            )
        )
        log.info("side server listening", url=self.side.url)
        # One HTTP session for every Web API call: connections are reused, not opened per message.
        self._http = aiohttp.ClientSession()
        client = web_client(self.settings, self._http)
        await verify_tokens(client, app_token)
        if self.services is None:
            self.services = await build_services(self.settings)
        approvals = Approvals(self.services.storage.engine)
        self.readiness.database = lambda: asyncio.to_thread(approvals.ping)
        self.readiness.cluster = CachedProbe(_cluster_answers(self.services))
        self.bot = build_bot(self.services, self.settings, client=client)
        self.side_context.services, self.side_context.slack = self.services, self.bot.deps
        await self.monitoring.start(self.services, self.bot.deps)
        self.handler = AckingSocketModeHandler(self.bot.app, app_token, web_client=client)
        self.readiness.slack = self.handler.is_connected
        await self.handler.connect_async()
        await self.bot.deps.dedup.forget_old()  # deliveries older than any retry
        self._sweeper = asyncio.create_task(flow.expire_forever(self.bot.deps), name="approval expiry")
        # Everything built so far lives as long as the process: move it out of the collector's
        # reach, so a full collection scans only what requests allocate (shorter pauses, which
        # would otherwise hold up every reply in flight).
        gc.freeze()
        self._warm_up = asyncio.create_task(
            freeze_after_first_request(self.bot.deps.tasks), name="gc warm-up"
        )
        log.info("connected to Slack in Socket Mode", api_url=self.settings.slack.api_url)

    async def warmed_up(self) -> None:
        """Until the one-time collection after the first request is over (`freeze_after_first_request`):
        a benchmark's measured part starts after it, as a long-running bot's requests do."""
        if self._warm_up is not None:
            await asyncio.shield(self._warm_up)

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for task in (self._sweeper, self._warm_up):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        # Stop reading first: every envelope acked so far then reaches its listener and is
        # recorded, so cancelling below marks what did not run as interrupted rather than losing it.
        if self.handler is not None:
            await self.handler.close_async()
        await self.monitoring.stop()
        if self.bot is not None:
            await self.bot.deps.tasks.cancel_all()
        if self._http is not None:
            await self._http.close()
        if self.services is not None and self._owns_services:
            await self.services.close()
        if self.side is not None:
            await self.side.stop()


def _cluster_answers(services: Services) -> Callable[[], Awaitable[bool]]:
    """The default cluster answers a cheap request: one namespace, if it has any."""

    async def probe() -> bool:
        await services.clusters.get().list_namespaces(limit=1)
        return True

    return probe


async def freeze_after_first_request(tasks: BackgroundTasks) -> None:
    """Freeze once more after the first request, when the bot is idle again.

    The first request imports and builds what every later one reuses (Kubernetes models, compiled
    templates, SQL statements); left in the old generation, each full collection would scan it
    again — a 50–100 ms pause in every reply in flight. Collected first, so no garbage is kept forever.
    """
    await tasks.first_done.wait()
    await tasks.wait_idle()
    gc.collect()
    gc.freeze()


async def verify_tokens(client: AsyncWebClient, app_token: str) -> None:
    """Ask Slack once whether it accepts the tokens, so a revoked one fails start-up with its name."""
    try:
        await client.auth_test()
    except SlackApiError as exc:
        raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack ({exc.response.get('error')})",
                          hint="reinstall the app and copy the new bot token") from exc
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        raise ConfigError(f"SLACK_APP_TOKEN was refused by Slack ({exc.response.get('error')})",
                          hint="generate an app-level token with the connections:write scope") from exc


async def run(settings: Settings, routes: Sequence[RouteRegistrar] = ()) -> None:
    """Serve until cancelled (Ctrl-C / SIGTERM)."""
    runner = BotRunner(settings, routes=routes)
    try:
        await runner.start()
        await asyncio.Event().wait()
    finally:
        await runner.stop()
