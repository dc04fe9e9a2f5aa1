"""Local servers that speak the LLM providers' wire formats, for the real SDKs to talk to.

- `AnthropicServer`: `POST /v1/messages` (Messages API). Base URL for the SDK: `server.base_url`.
- `OpenAIServer`: `POST /v1/chat/completions` (Chat Completions). SDK base URL: `server.base_url`
  (it ends in `/v1`, as the SDK's default does).
- `GeminiServer`: `POST /v1beta/models/{model}:generateContent`. SDK base URL: `server.base_url`.

Each listens on 127.0.0.1, port 0, records every request (`server.requests`) and answers from a
script of provider-neutral replies (`server.script(...)`), one reply per request, in order; when
the script is empty it answers with `server.default` (a 500 unless set). Replies:

    ToolCallReply(name, args)      one tool call
    ToolCallsReply([(name, args)]) several tool calls in one answer
    TextReply(text)                prose only, no tool call
    RawArgumentsReply(name, raw)   a tool call whose arguments are `raw` (e.g. invalid JSON)
    RateLimitReply(retry_after)    HTTP 429, with the provider's way of saying when to retry
    ErrorReply(status)             HTTP error status with the provider's error body
    StallReply()                   never answers until the server closes (an asyncio.Event)

Usage: `async with AnthropicServer() as server: ...`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web


@dataclass(frozen=True)
class ToolCallReply:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolCallsReply:
    calls: list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class TextReply:
    text: str


@dataclass(frozen=True)
class RawArgumentsReply:
    name: str
    raw: Any


@dataclass(frozen=True)
class RateLimitReply:
    retry_after: float | None = None


@dataclass(frozen=True)
class ErrorReply:
    status: int = 500


@dataclass(frozen=True)
class StallReply:
    pass


Reply = (
    ToolCallReply | ToolCallsReply | TextReply | RawArgumentsReply | RateLimitReply | ErrorReply | StallReply
)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]


class _ScriptedServer(ABC):
    """The shared machinery: a route, a script of replies, recorded requests, a stall event."""

    route: str = ""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.default: Reply = ErrorReply(500)
        self.stalled = asyncio.Event()  # set when a StallReply has started waiting
        self._script: list[Reply] = []
        self._release = asyncio.Event()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- scripting -------------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        self._script.extend(replies)

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url

    def bodies(self) -> list[dict[str, Any]]:
        return [request.body for request in self.requests]

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.route, self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- handling --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(
            RecordedRequest(
                request.method, request.path, {k.lower(): v for k, v in request.headers.items()}, body
            )
        )
        reply = self._script.pop(0) if self._script else self.default
        if isinstance(reply, StallReply):
            self.stalled.set()
            await self._release.wait()
            return web.Response(status=503)
        return self.render(reply, request)

    def next_id(self) -> int:
        return next(self._ids)

    @abstractmethod
    def render(self, reply: Reply, request: web.Request) -> web.Response:
        ...


def _json(status: int, body: dict[str, Any], headers: dict[str, str]) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", **headers},
    )


class AnthropicServer(_ScriptedServer):
    """Anthropic Messages API: `POST /v1/messages`, `request-id` header, `{"type": "error"}` bodies."""

    route = "/v1/messages"

    def render(self, reply: Reply, request: web.Request) -> web.Response:
        n = self.next_id()
        headers = {"request-id": f"req_fake{n:04d}"}
        model = str(self.requests[-1].body.get("model", "claude-fake"))
        if isinstance(reply, RateLimitReply):
            if reply.retry_after is not None:
                headers["retry-after"] = f"{reply.retry_after:g}"
            return _json(429, _anthropic_error("rate_limit_error", "Rate limited (fake)."), headers)
        if isinstance(reply, ErrorReply):
            kind = "overloaded_error" if reply.status == 529 else "api_error"
            return _json(reply.status, _anthropic_error(kind, "Internal server error (fake)."), headers)
        content: list[dict[str, Any]]
        if isinstance(reply, TextReply):
            content, stop = [{"type": "text", "text": reply.text}], "end_turn"
        elif isinstance(reply, ToolCallReply):
            content, stop = [self._tool_use(reply.name, reply.args)], "tool_use"
        elif isinstance(reply, ToolCallsReply):
            content, stop = [self._tool_use(name, args) for name, args in reply.calls], "tool_use"
        elif isinstance(reply, RawArgumentsReply):
            content, stop = [self._tool_use(reply.name, reply.raw)], "tool_use"
        else:
            raise TypeError(f"unhandled reply {reply!r}")
        message = {
            "id": f"msg_fake{n:04d}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 20},
        }
        return _json(200, message, headers)

    def _tool_use(self, name: str, arguments: Any) -> dict[str, Any]:
        return {"type": "tool_use", "id": f"toolu_fake{self.next_id():04d}", "name": name, "input": arguments}


def _anthropic_error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


class OpenAIServer(_ScriptedServer):
    """OpenAI Chat Completions: `POST /v1/chat/completions`, `x-request-id`, `{"error": {...}}` bodies."""

    route = "/v1/chat/completions"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def render(self, reply: Reply, request: web.Request) -> web.Response:
        n = self.next_id()
        headers = {"x-request-id": f"req_fake{n:04d}", "openai-processing-ms": "12"}
        model = str(self.requests[-1].body.get("model", "gpt-fake"))
        if isinstance(reply, RateLimitReply):
            if reply.retry_after is not None:
                headers["retry-after"] = f"{reply.retry_after:g}"
            return _json(
                429, _openai_error("Rate limit reached (fake).", "requests", "rate_limit_exceeded"), headers
            )
        if isinstance(reply, ErrorReply):
            return _json(
                reply.status, _openai_error("The server had an error (fake).", "server_error", None), headers
            )
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        if isinstance(reply, TextReply):
            message["content"], finish = reply.text, "stop"
        elif isinstance(reply, ToolCallReply):
            message["tool_calls"], finish = [self._call(reply.name, json.dumps(reply.args))], "tool_calls"
        elif isinstance(reply, ToolCallsReply):
            message["tool_calls"] = [self._call(name, json.dumps(args)) for name, args in reply.calls]
            finish = "tool_calls"
        elif isinstance(reply, RawArgumentsReply):
            message["tool_calls"], finish = [self._call(reply.name, str(reply.raw))], "tool_calls"
        else:
            raise TypeError(f"unhandled reply {reply!r}")
        completion = {
            "id": f"chatcmpl-fake{n:04d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            "system_fingerprint": "fp_fake",
        }
        return _json(200, completion, headers)

    def _call(self, name: str, arguments: str) -> dict[str, Any]:
        return {
            "id": f"call_fake{self.next_id():04d}",
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }


def _openai_error(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class GeminiServer(_ScriptedServer):
    """Gemini API generateContent: camelCase JSON, google.rpc error bodies with RetryInfo on 429."""

    route = "/v1beta/models/{model}:generateContent"

    def render(self, reply: Reply, request: web.Request) -> web.Response:
        n = self.next_id()
        headers = {"x-goog-request-id": f"fake{n:04d}", "server-timing": "gfet4t7; dur=12"}
        model = request.match_info["model"]
        if isinstance(reply, RateLimitReply):
            details = []
            if reply.retry_after is not None:
                details.append(
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{reply.retry_after:g}s",
                    }
                )
            return _json(
                429,
                _google_error(429, "Resource has been exhausted (fake).", "RESOURCE_EXHAUSTED", details),
                headers,
            )
        if isinstance(reply, ErrorReply):
            status = "INTERNAL" if reply.status == 500 else "UNAVAILABLE"
            return _json(
                reply.status, _google_error(reply.status, "Internal error (fake).", status, []), headers
            )
        parts: list[dict[str, Any]]
        if isinstance(reply, TextReply):
            parts = [{"text": reply.text}]
        elif isinstance(reply, ToolCallReply):
            parts = [{"functionCall": {"name": reply.name, "args": reply.args}}]
        elif isinstance(reply, ToolCallsReply):
            parts = [{"functionCall": {"name": name, "args": args}} for name, args in reply.calls]
        elif isinstance(reply, RawArgumentsReply):
            parts = [{"functionCall": {"name": reply.name, "args": reply.raw}}]
        else:
            raise TypeError(f"unhandled reply {reply!r}")
        response = {
            "candidates": [
                {"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20, "totalTokenCount": 120},
            "modelVersion": model,
            "responseId": f"fake{n:04d}",
        }
        return _json(200, response, headers)


def _google_error(code: int, message: str, status: str, details: list[dict[str, Any]]) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}
