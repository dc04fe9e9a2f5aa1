"""The side server's routes beyond health: GitHub webhooks, the HTTP API, OAuth; MCP's routes
are handed in by the composition above (`klepaas.cli`), as bot and mcp_server are siblings."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiohttp import web

from klepaas.handlers import github, google_signin, http_api, oauth
from klepaas.handlers.side import SideContext

RouteRegistrar = Callable[[web.Application, SideContext], object]


def register_side_routes(
    app: web.Application, side: SideContext, extra: Sequence[RouteRegistrar] = ()
) -> None:
    github.register_routes(app, side)
    http_api.register_routes(app, side)
    oauth.register_routes(app, side)
    google_signin.register_routes(app, side)
    for register in extra:
        register(app, side)
