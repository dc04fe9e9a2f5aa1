"""What each adapter puts on the wire: the forced single tool choice, tool format, key header."""

from __future__ import annotations

from klepaas.llm.plan import PlanningContext
from klepaas.llm.providers.errors import RateLimitedError
from klepaas.llm.providers.prompt import SYSTEM_PROMPT
from klepaas.llm.tools import tool_definitions
from tests.fakes.llm_servers import RateLimitReply, ToolCallReply
from tests.llm.provider_kit import COMMANDS, rig

CONTEXT = PlanningContext(namespaces=["default"])


async def test_anthropic_forces_one_tool_call_and_sends_the_tools_as_input_schemas() -> None:
    async with rig("anthropic") as r:
        r.server.script(ToolCallReply("status", {}))
        await r.provider.choose_tool("api", COMMANDS, CONTEXT)
    request = r.server.requests[0]
    body = request.body
    assert request.path == "/v1/messages"
    # Older SDKs send the key as x-api-key, newer ones as a bearer token.
    assert "test-key" in (request.headers.get("x-api-key"), request.headers.get("authorization", "")[7:])
    assert "anthropic-version" in request.headers
    assert body["model"] == "anthropic-test-model"
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["system"] == SYSTEM_PROMPT
    assert body["tools"] == [
        {"name": t.name, "description": t.description, "input_schema": t.parameters}
        for t in tool_definitions(COMMANDS)
    ]
    assert [m["role"] for m in body["messages"]] == ["user"]
    assert body["max_tokens"] > 0


async def test_openai_requires_a_tool_call_and_sends_function_tools() -> None:
    async with rig("openai") as r:
        r.server.script(ToolCallReply("status", {}))
        await r.provider.choose_tool("api", COMMANDS, CONTEXT)
    request = r.server.requests[0]
    body = request.body
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test-key"
    assert body["model"] == "openai-test-model"
    assert body["tool_choice"] == "required"
    assert body["parallel_tool_calls"] is False
    assert body["tools"] == [
        {"type": "function", "function": t.as_dict()} for t in tool_definitions(COMMANDS)
    ]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == SYSTEM_PROMPT


async def test_gemini_uses_function_calling_mode_any_limited_to_our_commands() -> None:
    async with rig("gemini") as r:
        r.server.script(ToolCallReply("status", {}))
        await r.provider.choose_tool("api", COMMANDS, CONTEXT)
    request = r.server.requests[0]
    body = request.body
    assert request.path == "/v1beta/models/gemini-test-model:generateContent"
    assert request.headers["x-goog-api-key"] == "test-key"
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["status", "scale", "rollback"]}
    }
    declarations = body["tools"][0]["functionDeclarations"]
    assert [(d["name"], d["description"]) for d in declarations] == [
        (t.name, t.description) for t in tool_definitions(COMMANDS)
    ]
    assert body["systemInstruction"]["parts"] == [{"text": SYSTEM_PROMPT}]
    assert [c["role"] for c in body["contents"]] == ["user"]


async def test_gemini_reads_the_wait_from_the_retry_info_of_a_429() -> None:
    async with rig("gemini") as r:
        r.server.script(RateLimitReply(retry_after=3.5), ToolCallReply("status", {}))
        await r.provider.choose_tool("api", COMMANDS, CONTEXT)
        r.server.script(
            RateLimitReply(retry_after=None), RateLimitReply(retry_after=None), RateLimitReply(None)
        )
        try:
            await r.provider.choose_tool("api", COMMANDS, CONTEXT)
        except RateLimitedError as error:
            assert error.retry_after is None
    assert r.sleep.waits == [3.5, 1.0, 1.0]
