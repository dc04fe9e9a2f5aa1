"""Claude through the official `anthropic` SDK: Messages API, one forced tool call.

`tool_choice={"type": "any"}` makes the model call a tool; `disable_parallel_tool_use` asks for
one. The SDK's own retries are off (`max_retries=0`): `ProviderGuard` owns retries and timeouts.
"""

from __future__ import annotations

from typing import Any

import anthropic

from klepaas.llm.plan import CommandInfo, PlanningContext
from klepaas.llm.providers.answer import RawCall, single_tool_call
from klepaas.llm.providers.base import ToolCall
from klepaas.llm.providers.errors import ProviderTimeoutError, ProviderUnavailableError, RateLimitedError
from klepaas.llm.providers.prompt import build_prompt, tool_names
from klepaas.llm.providers.resilience import ProviderGuard, ResiliencePolicy, retry_after_seconds
from klepaas.llm.tools import tool_definitions

# One tool call with a few arguments fits easily; a cap keeps a runaway answer cheap.
MAX_TOKENS = 1024


class AnthropicProvider:
    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_seconds: float = 8.0,
        guard: ProviderGuard | None = None,
    ) -> None:
        self.model = model
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout_seconds, max_retries=0
        )
        self.guard = guard or ProviderGuard(self.name, ResiliencePolicy(timeout_seconds=timeout_seconds))

    async def choose_tool(
        self,
        text: str,
        commands: list[CommandInfo],
        context: PlanningContext,
        *,
        correction: str | None = None,
    ) -> ToolCall:
        prompt = build_prompt(text, context, correction=correction)
        tools: list[Any] = [
            {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
            for tool in tool_definitions(commands)
        ]
        names = tool_names(commands)

        async def ask() -> ToolCall:
            message = await self._create(prompt.system, prompt.user, tools)
            calls = [
                RawCall(name=block.name, arguments=block.input)
                for block in message.content
                if block.type == "tool_use"
            ]
            said = " ".join(block.text for block in message.content if block.type == "text")
            return single_tool_call(self.name, calls, names, text=said)

        return await self.guard.call(ask)

    async def close(self) -> None:
        await self._client.close()

    async def _create(self, system: str, user: str, tools: list[Any]) -> anthropic.types.Message:
        try:
            return await self._client.messages.create(
                model=self.model,
                max_tokens=MAX_TOKENS,
                system=system,
                messages=[{"role": "user", "content": user}],
                tools=tools,
                tool_choice={"type": "any", "disable_parallel_tool_use": True},
            )
        except anthropic.APITimeoutError as error:
            raise ProviderTimeoutError(f"{self.name}: request timed out") from error
        except anthropic.APIConnectionError as error:
            raise ProviderUnavailableError(f"{self.name}: cannot connect ({error})") from error
        except anthropic.RateLimitError as error:
            raise RateLimitedError(
                f"{self.name}: rate limited (HTTP 429{_request_id(error)})",
                retry_after=retry_after_seconds(error.response.headers),
            ) from error
        except anthropic.APIStatusError as error:
            raise ProviderUnavailableError(
                f"{self.name}: HTTP {error.status_code}{_request_id(error)}"
            ) from error
        except anthropic.AnthropicError as error:
            # e.g. APIResponseValidationError: the body was not a Messages response.
            raise ProviderUnavailableError(
                f"{self.name}: unreadable response ({type(error).__name__})"
            ) from error


def _request_id(error: anthropic.APIStatusError) -> str:
    return f", request-id {error.request_id}" if error.request_id else ""
