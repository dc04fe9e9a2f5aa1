"""Checking a model's answer: exactly one call of a known tool, with a JSON object as arguments.

Adapters extract the tool calls from their SDK's response and hand them here as plain values.
Nothing in an answer is executed; it becomes a `ToolCall` whose arguments the planner validates
against the command's model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from klepaas.llm.providers.base import ToolCall
from klepaas.llm.providers.errors import MalformedAnswerError

# How much of a text-only answer is quoted back in the correction message.
_MAX_QUOTED_TEXT = 160


@dataclass(frozen=True)
class RawCall:
    """One tool call as the SDK returned it: arguments may be a dict, a JSON string, or junk."""

    name: str | None
    arguments: Any


def single_tool_call(
    provider: str, calls: Sequence[RawCall], known_tools: Iterable[str], *, text: str = ""
) -> ToolCall:
    """The one valid tool call in an answer, or `MalformedAnswerError` saying what to fix."""
    known = sorted(set(known_tools))
    if not calls:
        said = text.strip()
        quoted = f" (it answered with text: {_quote(said)})" if said else ""
        raise MalformedAnswerError(
            f"{provider}: the answer had no tool call{quoted}; call exactly one of the tools"
        )
    if len(calls) > 1:
        names = ", ".join(str(call.name) for call in calls)
        raise MalformedAnswerError(
            f"{provider}: the answer had {len(calls)} tool calls ({names}); call exactly one tool"
        )
    call = calls[0]
    if call.name not in known:
        raise MalformedAnswerError(
            f"{provider}: unknown tool {_quote(str(call.name))}; choose one of: {', '.join(known)}"
        )
    return ToolCall(name=call.name, arguments=_arguments(provider, call.name, call.arguments))


def _arguments(provider: str, name: str, raw: Any) -> dict[str, Any]:
    value = raw
    if raw is None:
        value = {}
    elif isinstance(raw, str | bytes):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            value = {}
        else:
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise MalformedAnswerError(
                    f"{provider}: the arguments of tool {name!r} are not valid JSON ({error.msg}); "
                    "send a JSON object"
                ) from error
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise MalformedAnswerError(
            f"{provider}: the arguments of tool {name!r} must be a JSON object, not {type(value).__name__}"
        )
    return dict(value)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > _MAX_QUOTED_TEXT:
        text = text[: _MAX_QUOTED_TEXT - 1] + "…"
    return json.dumps(text, ensure_ascii=False)
