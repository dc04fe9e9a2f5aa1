"""What the planner produces, and what it is told about the commands it may choose.

The planner lives below the command layer, so it never imports the registry: the pipeline hands
it a list of `CommandInfo` built from the registry. A `Plan` names exactly one of those commands
with arguments that validated against its model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

Lang = Literal["ko", "en"]
PlanSource = str  # "rules", "structured", "anthropic", "openai", "gemini", "context"


@dataclass(frozen=True)
class CommandInfo:
    """One registry command as the planner sees it."""

    name: str
    help_en: str
    help_ko: str
    risk: Literal["read", "write", "dangerous"]
    args_model: type[BaseModel]
    usage: str = ""
    # Takes all namespaces ('*') for one named object, finding its namespace (CommandSpec's field).
    finds_namespace: bool = False

    def json_schema(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()


@dataclass(frozen=True)
class Plan:
    """A validated choice of one registry command. `args` are the model's non-default fields."""

    command: str
    args: dict[str, Any]
    source: PlanSource
    confidence: float = 1.0
    lang: Lang = "en"
    # Near-miss names offered to the user ("did you mean nginx?") but not substituted.
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Clarify:
    """A question back to the user instead of a plan."""

    question: str
    lang: Lang = "en"
    candidates: list[Plan] = field(default_factory=list)
    source: PlanSource = "rules"


@dataclass(frozen=True)
class PlanningContext:
    """What a planner may know beyond the text: bounded, and never instructions."""

    namespaces: list[str] = field(default_factory=list)  # the channel's bound namespaces, if any
    default_namespace: str | None = None
    app_names: list[str] = field(default_factory=list)  # capped list of existing app names
    # The previous plan in this thread/session, for follow-ups ("3개로 늘려줘", "staging도").
    previous: Plan | None = None


PlanOutcome = Plan | Clarify
