"""Shared pieces for the provider tests: sample commands, a fake clock, a recording sleep, and
each provider wired to its local wire-format server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from klepaas.llm.plan import CommandInfo
from klepaas.llm.providers.anthropic_provider import AnthropicProvider
from klepaas.llm.providers.gemini_provider import GeminiProvider
from klepaas.llm.providers.openai_provider import OpenAIProvider
from klepaas.llm.providers.resilience import ProviderGuard, ResiliencePolicy
from tests.fakes.llm_servers import AnthropicServer, GeminiServer, OpenAIServer

ProviderKind = Literal["anthropic", "openai", "gemini"]
KINDS: list[ProviderKind] = ["anthropic", "openai", "gemini"]


class StatusArgs(BaseModel):
    name: str | None = Field(None, description="App (deployment) name")
    namespace: str | None = Field(None, description="Namespace; '*' for all")


class ScaleArgs(BaseModel):
    name: str = Field(description="App (deployment) name")
    namespace: str | None = None
    replicas: int = Field(ge=0, le=50)


class RollbackArgs(BaseModel):
    name: str
    namespace: str | None = None
    steps_back: int | None = Field(None, ge=1)


COMMANDS = [
    CommandInfo("status", "Show the status of an app or namespace", "상태 보기", "read", StatusArgs),
    CommandInfo("scale", "Change the number of replicas of an app", "레플리카 수 변경", "write", ScaleArgs),
    CommandInfo("rollback", "Roll an app back to an earlier revision", "롤백", "dangerous", RollbackArgs),
]
COMMAND_NAMES = [info.name for info in COMMANDS]


@dataclass
class FakeClock:
    """A monotonic clock that moves only when told to."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RecordingSleep:
    """Stands in for asyncio.sleep: remembers each wait and returns at once."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


Server = AnthropicServer | OpenAIServer | GeminiServer
Provider = AnthropicProvider | OpenAIProvider | GeminiProvider


SERVERS: dict[ProviderKind, type[Server]] = {
    "anthropic": AnthropicServer,
    "openai": OpenAIServer,
    "gemini": GeminiServer,
}
PROVIDERS: dict[ProviderKind, type[Provider]] = {
    "anthropic": AnthropicProvider,
    "openai": OpenAIProvider,
    "gemini": GeminiProvider,
}


@dataclass
class Rig:
    kind: ProviderKind
    server: Server
    provider: Provider
    clock: FakeClock
    sleep: RecordingSleep


@asynccontextmanager
async def rig(kind: ProviderKind, *, timeout_seconds: float = 5.0) -> AsyncIterator[Rig]:
    """A provider of `kind` talking through its real SDK to a fresh local server."""
    server = SERVERS[kind]()
    clock, sleep = FakeClock(), RecordingSleep()
    guard = ProviderGuard(kind, ResiliencePolicy(timeout_seconds=timeout_seconds), clock=clock, sleep=sleep)
    async with server:
        provider = make_provider(kind, server.base_url, timeout_seconds=timeout_seconds, guard=guard)
        try:
            yield Rig(kind, server, provider, clock, sleep)
        finally:
            await provider.close()


def make_provider(
    kind: ProviderKind, base_url: str, *, timeout_seconds: float, guard: ProviderGuard | None = None
) -> Provider:
    return PROVIDERS[kind](
        api_key="test-key",
        model=f"{kind}-test-model",
        base_url=base_url,
        timeout_seconds=timeout_seconds,
        guard=guard,
    )


@dataclass(frozen=True)
class SentPrompt:
    """What a recorded request asked, read back from its provider's wire format."""

    system: str
    user_messages: list[str]
    tool_names: list[str]
    tool_schemas: dict[str, dict[str, Any]]


def sent_prompt(kind: ProviderKind, body: dict[str, Any]) -> SentPrompt:
    if kind == "anthropic":
        return SentPrompt(
            system=body["system"],
            user_messages=[m["content"] for m in body["messages"] if m["role"] == "user"],
            tool_names=[t["name"] for t in body["tools"]],
            tool_schemas={t["name"]: t["input_schema"] for t in body["tools"]},
        )
    if kind == "openai":
        return SentPrompt(
            system="".join(m["content"] for m in body["messages"] if m["role"] == "system"),
            user_messages=[m["content"] for m in body["messages"] if m["role"] == "user"],
            tool_names=[t["function"]["name"] for t in body["tools"]],
            tool_schemas={t["function"]["name"]: t["function"]["parameters"] for t in body["tools"]},
        )
    declarations = [d for tool in body["tools"] for d in tool["functionDeclarations"]]
    return SentPrompt(
        system="".join(p["text"] for p in body["systemInstruction"]["parts"]),
        user_messages=[
            "".join(p["text"] for p in c["parts"]) for c in body["contents"] if c["role"] == "user"
        ],
        tool_names=[d["name"] for d in declarations],
        # Proto JSON accepts both spellings; the SDK sends the schema under the snake_case name.
        tool_schemas={
            d["name"]: d.get("parametersJsonSchema", d.get("parameters_json_schema")) for d in declarations
        },
    )


def data_block(user_message: str) -> dict[str, Any]:
    """The JSON object inside <request_data>…</request_data>; asserts nothing else is in the message."""
    opening, closing = "<request_data>\n", "\n</request_data>"
    assert user_message.startswith(opening) and user_message.endswith(closing), user_message
    inner = user_message[len(opening) : -len(closing)]
    assert "<" not in inner and ">" not in inner
    decoded: dict[str, Any] = json.loads(inner)
    return decoded
