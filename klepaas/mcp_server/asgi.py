"""Serve an ASGI application (the MCP SDK's Streamable HTTP handler) from an aiohttp route.

One request in, one response out (streamed as the application sends it). The body is read with
the route's size cap before the application sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from aiohttp import web

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


async def serve_asgi(
    asgi_app: ASGIApp, request: web.Request, body: bytes, extra_scope: dict[str, Any]
) -> web.StreamResponse:
    host, port = (
        (request.transport.get_extra_info("sockname") or ("127.0.0.1", 0))[:2]
        if request.transport
        else ("127.0.0.1", 0)
    )
    peer = request.transport.get_extra_info("peername") if request.transport else None
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.raw_path.split("?", 1)[0].encode(),
        "query_string": request.query_string.encode(),
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.items()],
        "client": tuple(peer[:2]) if peer else None,
        "server": (str(host), int(port)),
        **extra_scope,
    }
    sent_body = False
    finished = asyncio.Event()
    response: web.StreamResponse | None = None

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal response
        if message["type"] == "http.response.start":
            response = web.StreamResponse(status=int(message["status"]))
            for key, value in message.get("headers", []):
                name = key.decode("latin-1")
                if name.lower() in ("content-length", "transfer-encoding"):
                    continue  # aiohttp frames the body itself
                response.headers.add(name, value.decode("latin-1"))
            await response.prepare(request)
        elif message["type"] == "http.response.body" and response is not None:
            chunk = message.get("body", b"")
            if chunk:
                await response.write(chunk)
            if not message.get("more_body", False):
                await response.write_eof()
                finished.set()

    try:
        await asgi_app(scope, receive, send)
    finally:
        finished.set()
    if response is None:
        return web.Response(status=500, text="the MCP handler sent no response")
    return response
