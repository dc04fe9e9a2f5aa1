"""The MCP server at `/mcp/stream` (Streamable HTTP, the official `mcp` SDK's low-level server).

Every tool call is one pipeline request (source "mcp") by the token's actor: the token must hold
`mcp:execute` to reach the server and the command's scope to run it (checked by the API
pipeline's scope policy, so refusals are audited like any other). A `write`/`dangerous` call that
needs an approval answers at once with the approval id; the approval is posted to the token's
Slack channel and its outcome is read later with the `get_approval` tool.

Stateless and JSON-answering: each POST carries one JSON-RPC message and gets its answer, so the
server keeps no session between requests and any instance can answer any call.
"""

from __future__ import annotations

import asyncio
from typing import Any

import mcp.types as types
from aiohttp import web
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from klepaas.commands.pipeline import Outcome, Request
from klepaas.commands.registry import Scope
from klepaas.handlers.bearer import authenticate
from klepaas.handlers.deferred_approval import DeferredSlackApprover, pending_summary
from klepaas.handlers.side import SideContext
from klepaas.mcp_server.asgi import serve_asgi
from klepaas.mcp_server.tools import Toolbox
from klepaas.storage.tokens import ApiToken

PATH = "/mcp/stream"
_TOKEN_KEY = "klepaas.token"
MAX_BODY = 1_000_000


class McpServer:
    def __init__(self, side: SideContext) -> None:
        self.side = side
        self._toolbox: Toolbox | None = None
        self.server: Server[Any] = Server(
            "klepaas",
            version="1",
            instructions="K-Le-PaaS: run apps on Kubernetes safely.",
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
        )
        self.manager = StreamableHTTPSessionManager(
            self.server,
            json_response=True,
            stateless=True,
            # Host/Origin checks are for servers a browser can reach; ours authenticates every call.
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            max_request_body_size=MAX_BODY,
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def toolbox(self) -> Toolbox:
        if self._toolbox is None:
            services, _ = self.side.ready()
            self._toolbox = Toolbox(services.registry)
        return self._toolbox

    # -- life cycle: the session manager's task group lives in one task of its own -------------

    async def start(self, _: web.Application | None = None) -> None:
        started = asyncio.Event()

        async def serve() -> None:
            async with self.manager.run():
                started.set()
                await self._stop.wait()

        self._task = asyncio.create_task(serve(), name="mcp session manager")
        await started.wait()

    async def stop(self, _: web.Application | None = None) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    # -- HTTP ------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        services, _ = self.side.ready()
        token = await authenticate(request, services, Scope.MCP_EXECUTE.value)
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(body))
        return await serve_asgi(self.manager.handle_request, request, body, {_TOKEN_KEY: token})

    # -- MCP -------------------------------------------------------------------------------------

    async def _list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.toolbox().tools)

    async def _call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        token: ApiToken = ctx.request.scope[_TOKEN_KEY]  # type: ignore[union-attr]
        spec = self.toolbox().command(params.name)
        if spec is None:
            return _error(f"Unknown tool: {params.name}")
        _, deps = self.side.ready()
        actor = self.side.token_actor(token, "mcp")
        approver = DeferredSlackApprover(deps, token, cluster=None)
        request = Request(actor=actor, command=spec.name, args=dict(params.arguments or {}))
        outcome = await self.side.api_pipeline().handle(request, approver)
        if approver.entry is not None:
            entry = approver.entry
            summary = pending_summary(entry)
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=summary)],
                structured_content={
                    "status": "pending_approval",
                    "summary": summary,
                    "approval_id": entry.id,
                    "channel": entry.channel,
                    "data": {},
                },
            )
        return tool_result(outcome)


def tool_result(outcome: Outcome) -> types.CallToolResult:
    result = outcome.result
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=result.summary)],
        structured_content={
            "status": result.status,
            "summary": result.summary,
            "data": result.data,
            "audit_id": outcome.audit_id,
        },
        is_error=result.status == "error",
    )


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


def register_routes(app: web.Application, side: SideContext) -> McpServer:
    mcp = McpServer(side)
    app.router.add_route("*", PATH, mcp.handle)
    app.on_startup.append(mcp.start)
    app.on_cleanup.append(mcp.stop)
    return mcp
