"""GPT through the official `openai` SDK: Chat Completions, function tools, one forced call.

`tool_choice="required"` makes the model call a tool; `parallel_tool_calls=False` asks for one.
The SDK's own retries are off (`max_retries=0`): `ProviderGuard` owns retries and timeouts.
"""

from __future__ import annotations

from typing import Any

import openai
from openai.types.chat import ChatCompletion

from klepaas.llm.plan import CommandInfo, PlanningContext
from klepaas.llm.providers.answer import RawCall, single_tool_call
from klepaas.llm.providers.base import ToolCall
from klepaas.llm.providers.errors import ProviderTimeoutError, ProviderUnavailableError, RateLimitedError
from klepaas.llm.providers.prompt import build_prompt, tool_names
from klepaas.llm.providers.resilience import ProviderGuard, ResiliencePolicy, retry_after_seconds
from klepaas.llm.tools import tool_definitions

MAX_COMPLETION_TOKENS = 1024


class OpenAIProvider:
    name = "openai"

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
        self._client = openai.AsyncOpenAI(
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
            {"type": "function", "function": tool.as_dict()} for tool in tool_definitions(commands)
        ]
        names = tool_names(commands)

        async def ask() -> ToolCall:
            completion = await self._create(prompt.system, prompt.user, tools)
            if not completion.choices:
                return single_tool_call(self.name, [], names)
            message = completion.choices[0].message
            calls = [
                RawCall(name=call.function.name, arguments=call.function.arguments)
                if call.type == "function"
                else RawCall(name=None, arguments=None)
                for call in message.tool_calls or []
            ]
            return single_tool_call(self.name, calls, names, text=message.content or "")

        return await self.guard.call(ask)

    async def close(self) -> None:
        await self._client.close()

    async def _create(self, system: str, user: str, tools: list[Any]) -> ChatCompletion:
        try:
            return await self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                tools=tools,
                tool_choice="required",
                parallel_tool_calls=False,
                max_completion_tokens=MAX_COMPLETION_TOKENS,
            )
        except openai.APITimeoutError as error:
            raise ProviderTimeoutError(f"{self.name}: request timed out") from error
        except openai.APIConnectionError as error:
            raise ProviderUnavailableError(f"{self.name}: cannot connect ({error})") from error
        except openai.RateLimitError as error:
            raise RateLimitedError(
                f"{self.name}: rate limited (HTTP 429{_request_id(error)})",
                retry_after=retry_after_seconds(error.response.headers),
            ) from error
        except openai.APIStatusError as error:
            raise ProviderUnavailableError(
                f"{self.name}: HTTP {error.status_code}{_request_id(error)}"
            ) from error
        except openai.OpenAIError as error:
            # e.g. APIResponseValidationError: the body was not a chat completion.
            raise ProviderUnavailableError(
                f"{self.name}: unreadable response ({type(error).__name__})"
            ) from error


def _request_id(error: openai.APIStatusError) -> str:
    return f", x-request-id {error.request_id}" if error.request_id else ""
