"""The side server (aiohttp) on KLEPAAS_HTTP_HOST:KLEPAAS_HTTP_PORT: health and readiness.

It starts before anything else so an orchestrator sees the process at once: `/healthz` is 200 as
long as the process serves; `/readyz` is 503 until the Slack socket, the database and the default
cluster answer.
Other routes (webhooks, MCP, metrics) are added to the same `web.Application` by their owners.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from klepaas.bot.side_routes import RouteRegistrar, register_side_routes
from klepaas.config import HttpSettings
from klepaas.handlers.side import SideContext
from klepaas.logging import get_logger

log = get_logger(__name__)

Probe = Callable[[], Awaitable[bool]]

# A probe's answer is reused this long: orchestrators probe every few seconds per replica, and
# each cluster probe is a request to the API server.
PROBE_CACHE_SECONDS = 5.0
# A probe that has not answered by then is down: a probe must not hang behind a stuck API server.
PROBE_TIMEOUT_SECONDS = 3.0


async def _down() -> bool:
    return False


class CachedProbe:
    """A probe whose answer (up or down) is kept for `ttl` seconds; concurrent checks share one
    call, and a probe that raises or takes longer than `timeout` counts as down."""

    def __init__(
        self,
        probe: Probe,
        ttl: float = PROBE_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = PROBE_TIMEOUT_SECONDS,
    ) -> None:
        self._probe = probe
        self._ttl = ttl
        self._timeout = timeout
        self._clock = clock
        self._answer: tuple[float, bool] | None = None  # (until, up)
        self._lock = asyncio.Lock()

    async def __call__(self) -> bool:
        async with self._lock:
            if self._answer is not None and self._answer[0] > self._clock():
                return self._answer[1]
            try:
                up = bool(await asyncio.wait_for(self._probe(), self._timeout))
            except Exception as exc:  # any failure means "not ready"; say why in the log
                log.warning("a readiness probe failed", probe=getattr(self._probe, "__name__", "?"),
                            error=repr(exc))
                up = False
            self._answer = (self._clock() + self._ttl, up)
            return up

    def forget(self) -> None:
        """Ask again at the next check."""
        self._answer = None


@dataclass
class Readiness:
    """What must be up before the bot is ready; each probe is swapped in as its part starts."""

    slack: Probe = field(default=_down)
    database: Probe = field(default=_down)
    cluster: Probe = field(default=_down)

    async def check(self) -> dict[str, bool]:
        slack, database, cluster = await asyncio.gather(self.slack(), self.database(), self.cluster())
        return {"slack": slack, "database": database, "cluster": cluster}


def build_http_app(
    readiness: Readiness, side: SideContext | None = None, routes: Sequence[RouteRegistrar] = ()
) -> web.Application:
    app = web.Application()
    if side is not None:  # webhooks, HTTP API, OAuth, and `routes` (MCP) (issue 7)
        register_side_routes(app, side, routes)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        parts = await readiness.check()
        ready = all(parts.values())
        return web.json_response({"status": "ready" if ready else "starting", **parts},
                                 status=200 if ready else 503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


@dataclass
class SideServer:
    runner: web.AppRunner
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_side_server(settings: HttpSettings, app: web.Application) -> SideServer:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    host, port = runner.addresses[0][:2]
    return SideServer(runner=runner, host=str(host), port=int(port))
