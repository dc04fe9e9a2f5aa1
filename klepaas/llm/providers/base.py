"""The contract every LLM provider adapter meets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from klepaas.llm.plan import CommandInfo, PlanningContext


@dataclass(frozen=True)
class ToolCall:
    """The provider's answer: one tool (registry command) with raw, not yet validated arguments."""

    name: str
    arguments: dict[str, Any]


class ProviderError(Exception):
    """The provider failed (transport, timeout, rate limit, malformed answer); try the next one."""


class Provider(Protocol):
    name: str  # "anthropic", "openai", "gemini"

    async def choose_tool(
        self,
        text: str,
        commands: list[CommandInfo],
        context: PlanningContext,
        *,
        correction: str | None = None,
    ) -> ToolCall:
        """Ask the model for exactly one tool call. `correction` carries the validation error of
        the previous answer for the single retry. Raises ProviderError on any failure."""
        ...
