"""Gemini through the official `google-genai` SDK: generateContent with function calling mode ANY.

Automatic function calling is disabled, so the SDK never runs anything the model asks for; the
SDK's retries are off (`attempts=1`): `ProviderGuard` owns retries and timeouts.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pydantic
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from klepaas.llm.plan import CommandInfo, PlanningContext
from klepaas.llm.providers.answer import RawCall, single_tool_call
from klepaas.llm.providers.base import ToolCall
from klepaas.llm.providers.errors import (
    MalformedAnswerError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
)
from klepaas.llm.providers.prompt import build_prompt, tool_names
from klepaas.llm.providers.resilience import ProviderGuard, ResiliencePolicy, retry_after_seconds
from klepaas.llm.tools import tool_definitions

MAX_OUTPUT_TOKENS = 1024
# Pinned: function declarations with `parametersJsonSchema` are documented for v1beta, and the
# SDK's default version has changed between releases.
API_VERSION = "v1beta"
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


class GeminiProvider:
    name = "gemini"

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
        self._client = genai.Client(
            vertexai=False,
            api_key=api_key,
            http_options=types.HttpOptions(
                base_url=base_url,
                api_version=API_VERSION,
                timeout=int(timeout_seconds * 1000),
                # One attempt: without retry options the SDK retries connection errors by itself
                # after sleeping 1-10 s.
                retry_options=types.HttpRetryOptions(attempts=1),
            ),
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
        names = tool_names(commands)
        config = types.GenerateContentConfig(
            system_instruction=prompt.system,
            tools=[
                types.Tool(
                    function_declarations=[
                        types.FunctionDeclaration(
                            name=tool.name,
                            description=tool.description,
                            parameters_json_schema=tool.parameters,
                        )
                        for tool in tool_definitions(commands)
                    ]
                )
            ],
            tool_config=types.ToolConfig(
                function_calling_config=types.FunctionCallingConfig(
                    mode=types.FunctionCallingConfigMode.ANY, allowed_function_names=names
                )
            ),
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            max_output_tokens=MAX_OUTPUT_TOKENS,
        )

        async def ask() -> ToolCall:
            response = await self._generate(prompt.user, config)
            parts = _parts(response)
            calls = [
                RawCall(name=part.function_call.name, arguments=part.function_call.args)
                for part in parts
                if part.function_call is not None
            ]
            said = " ".join(part.text for part in parts if part.text and not part.thought)
            return single_tool_call(self.name, calls, names, text=said)

        return await self.guard.call(ask)

    async def close(self) -> None:
        await self._client.aio.aclose()

    async def _generate(
        self, user: str, config: types.GenerateContentConfig
    ) -> types.GenerateContentResponse:
        try:
            return await self._client.aio.models.generate_content(
                model=self.model,
                contents=[types.Content(role="user", parts=[types.Part(text=user)])],
                config=config,
            )
        except genai_errors.APIError as error:
            if error.code == 429:
                raise RateLimitedError(
                    f"{self.name}: rate limited (HTTP 429 {error.status or ''})".rstrip(),
                    retry_after=_retry_after(error),
                ) from error
            raise ProviderUnavailableError(
                f"{self.name}: HTTP {error.code} {error.status or ''}".rstrip()
            ) from error
        except TimeoutError as error:
            raise ProviderTimeoutError(f"{self.name}: request timed out") from error
        except aiohttp.ClientError as error:
            raise ProviderUnavailableError(f"{self.name}: cannot connect ({type(error).__name__})") from error
        except pydantic.ValidationError as error:
            # The body parsed as JSON but not as a GenerateContentResponse (e.g. args not an object).
            raise MalformedAnswerError(
                f"{self.name}: the answer did not have the expected shape; "
                "call exactly one tool with a JSON object as arguments"
            ) from error
        except genai_errors.UnknownApiResponseError as error:
            raise ProviderUnavailableError(f"{self.name}: unreadable response") from error


def _parts(response: types.GenerateContentResponse) -> list[types.Part]:
    candidates = response.candidates or []
    if not candidates or candidates[0].content is None:
        return []
    return list(candidates[0].content.parts or [])


def _retry_after(error: genai_errors.APIError) -> float | None:
    """Gemini says how long to wait in a google.rpc.RetryInfo detail; else a Retry-After header."""
    details: Any = error.details
    body = details.get("error", details) if isinstance(details, dict) else {}
    for detail in body.get("details", []) if isinstance(body, dict) else []:
        if isinstance(detail, dict) and detail.get("@type") == _RETRY_INFO:
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    headers = getattr(error.response, "headers", None)
    return retry_after_seconds(dict(headers)) if headers is not None else None
