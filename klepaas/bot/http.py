"""The side server (aiohttp) on KLEPAAS_HTTP_HOST:KLEPAAS_HTTP_PORT: health and readiness.

It starts before anything else so an orchestrator sees the process at once: `/healthz` is 200 as
long as the process serves; `/readyz` is 503 until the Slack socket and the database are up.
Other routes (webhooks, MCP, metrics) are added to the same `web.Application` by their owners.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from klepaas.bot.side_routes import RouteRegistrar, register_side_routes
from klepaas.config import HttpSettings
from klepaas.handlers.side import SideContext

Probe = Callable[[], Awaitable[bool]]


async def _down() -> bool:
    return False


@dataclass
class Readiness:
    """What must be up before the bot is ready; each probe is swapped in as its part starts."""

    slack: Probe = field(default=_down)
    database: Probe = field(default=_down)

    async def check(self) -> dict[str, bool]:
        return {"slack": await self.slack(), "database": await self.database()}


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
