"""The HTTP API: `POST /api/v1/nlp/process` (a request as JSON, by a bearer token, through the
same pipeline; answers the Outcome as JSON) and `GET /api/v1/deployments/history`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from klepaas.commands.pipeline import Request
from klepaas.commands.registry import Scope
from klepaas.commands.services import Services
from klepaas.handlers.bearer import authenticate
from klepaas.handlers.deferred_approval import DeferredSlackApprover, pending_summary
from klepaas.handlers.side import SideContext

MAX_BODY = 64 * 1024


class NlpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, max_length=2000)
    command: str | None = Field(None, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)
    lang: str | None = Field(None, pattern="^(en|ko)$")
    cluster: str | None = None


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


async def nlp_process(request: web.Request, side: SideContext) -> web.Response:
    services, deps = side.ready()
    token = await authenticate(request, services)
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(body))
    try:
        asked = NlpRequest.model_validate_json(body)
    except ValidationError as exc:
        raise _bad(f"invalid request: {exc.errors(include_url=False)[0]['msg']}") from None
    if (asked.text is None) == (asked.command is None):
        raise _bad("give either text or command (with args)")
    actor = side.token_actor(token, "http")
    approver = DeferredSlackApprover(deps, token, cluster=asked.cluster)
    pipeline_request = Request(
        actor=actor,
        text=asked.text,
        command=asked.command,
        args=asked.args,
        lang="ko" if asked.lang == "ko" else ("en" if asked.lang else None),
        cluster=asked.cluster,
    )
    outcome = await side.api_pipeline().handle(pipeline_request, approver)
    answer = outcome.to_json()
    if approver.entry is not None:
        answer["pending_approval"] = {
            "id": approver.entry.id,
            "channel": approver.entry.channel,
            "summary": pending_summary(approver.entry),
        }
    return web.json_response(answer, status=200)


async def deployment_history(request: web.Request, side: SideContext) -> web.Response:
    services, _ = side.ready()
    await authenticate(request, services, Scope.K8S_READ.value)
    try:
        limit = max(1, min(200, int(request.query.get("limit", "50"))))
    except ValueError:
        raise _bad("limit must be a number") from None
    entries = await asyncio.to_thread(_deployments, services, limit)
    return web.json_response({"history": entries})


def _deployments(services: Services, limit: int) -> list[dict[str, Any]]:
    """The safety layer's deployment records when it is there, else the deploy-type commands run."""
    try:
        from klepaas.storage.policy_store import DeploymentLog
    except ImportError:
        rows = services.storage.history.recent(limit * 4)
        return [_plain(e) for e in rows if e.command in _DEPLOY_COMMANDS][:limit]
    return [_plain(e) for e in DeploymentLog(services.storage.engine).recent(limit)]


_DEPLOY_COMMANDS = frozenset({"deploy", "rollback", "restart", "scale"})


def _plain(entry: Any) -> dict[str, Any]:
    fields = getattr(entry, "__dataclass_fields__", {})
    return {name: _jsonable(getattr(entry, name)) for name in fields}


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool | dict | list | type(None)) else str(value)


def register_routes(app: web.Application, side: SideContext) -> None:
    async def nlp(request: web.Request) -> web.Response:
        return await nlp_process(request, side)

    async def history(request: web.Request) -> web.Response:
        return await deployment_history(request, side)

    app.router.add_post("/api/v1/nlp/process", nlp)
    app.router.add_get("/api/v1/deployments/history", history)
