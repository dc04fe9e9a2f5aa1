"""The hybrid planner end to end: settings → build_planner → real SDKs → local provider servers.

The rules read first; only when they are unsure are the providers asked, in the configured order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from klepaas.commands.builtin import build_registry
from klepaas.config import LLMSettings, Settings
from klepaas.llm.plan import Clarify, CommandInfo, Plan, PlanningContext
from klepaas.llm.planner import PROVIDER_DANGEROUS_CONFIDENCE, Planner, build_planner
from klepaas.llm.providers.anthropic_provider import AnthropicProvider
from klepaas.llm.providers.gemini_provider import GeminiProvider
from klepaas.llm.providers.openai_provider import OpenAIProvider
from klepaas.llm.rules.parser import RULES_THRESHOLD
from tests.fakes.llm_servers import (
    AnthropicServer,
    ErrorReply,
    GeminiServer,
    OpenAIServer,
    RateLimitReply,
    StallReply,
    TextReply,
    ToolCallReply,
)
from tests.llm.provider_kit import data_block, sent_prompt

CONTEXT = PlanningContext(
    namespaces=["staging"], default_namespace="staging", app_names=["checkout", "nginx", "api"]
)


@dataclass
class Hybrid:
    planner: Planner
    commands: list[CommandInfo]
    anthropic: AnthropicServer
    openai: OpenAIServer
    gemini: GeminiServer

    def assert_rules_unsure(self, text: str) -> None:
        reading = self.planner.rules.read(text, CONTEXT)
        assert reading.confidence < RULES_THRESHOLD, f"the rules became sure of {text!r}; pick another"


@asynccontextmanager
async def hybrid(timeout_seconds: float = 5.0) -> AsyncIterator[Hybrid]:
    """A planner built from settings whose three providers point at local servers."""
    async with AnthropicServer() as anthropic, OpenAIServer() as openai, GeminiServer() as gemini:
        llm = LLMSettings(
            _env_file=None,
            providers="anthropic,openai,gemini",
            anthropic_api_key="a-key",
            anthropic_base_url=anthropic.base_url,
            openai_api_key="o-key",
            openai_base_url=openai.base_url,
            gemini_api_key="g-key",
            gemini_base_url=gemini.base_url,
            timeout_seconds=timeout_seconds,
        )
        commands = build_registry().infos()
        planner = build_planner(Settings(llm=llm), commands)
        try:
            yield Hybrid(planner, commands, anthropic, openai, gemini)
        finally:
            for provider in planner.providers:
                if isinstance(provider, AnthropicProvider | OpenAIProvider | GeminiProvider):
                    await provider.close()


async def test_the_providers_are_not_asked_when_the_rules_are_sure() -> None:
    async with hybrid() as h:
        outcome = await h.planner.plan("nginx 재시작해줘", CONTEXT)
    assert outcome == Plan(
        command="restart", args={"name": "nginx"}, source="rules", confidence=0.95, lang="ko"
    )
    assert (h.anthropic.requests, h.openai.requests, h.gemini.requests) == ([], [], [])


async def test_a_bad_answer_gets_one_retry_with_the_error_then_the_next_provider_plans() -> None:
    text = "checkout is drowning, five of them might cope"
    async with hybrid() as h:
        h.assert_rules_unsure(text)
        h.anthropic.script(
            ToolCallReply("scale", {"name": "checkout", "replicas": "lots"}),
            TextReply("You should scale checkout to 5 replicas."),
        )
        h.openai.script(ToolCallReply("scale", {"name": "checkout", "replicas": 5}))
        outcome = await h.planner.plan(text, CONTEXT)

    assert outcome == Plan(
        command="scale", args={"name": "checkout", "replicas": 5}, source="openai", confidence=0.8, lang="en"
    )
    assert len(h.anthropic.requests) == 2
    first, retry = (
        data_block(sent_prompt("anthropic", r.body).user_messages[0]) for r in h.anthropic.requests
    )
    assert "previous_answer_rejected" not in first
    assert retry["previous_answer_rejected"].startswith("invalid arguments for scale: replicas:")
    assert retry["request"] == text
    assert len(h.openai.requests) == 1
    assert "previous_answer_rejected" not in data_block(
        sent_prompt("openai", h.openai.requests[0].body).user_messages[0]
    )
    assert h.gemini.requests == []


async def test_when_every_provider_fails_the_rules_best_reading_is_offered_as_a_question() -> None:
    text = "checkout is sad"
    async with hybrid(timeout_seconds=0.3) as h:
        h.assert_rules_unsure(text)
        h.anthropic.script(ErrorReply(500))
        h.openai.script(RateLimitReply(retry_after=120))  # beyond the cap: no waiting
        h.gemini.script(StallReply())  # cut at the 0.3 s timeout
        outcome = await h.planner.plan(text, CONTEXT)

    rules_reading = Plan(
        command="status", args={"name": "checkout"}, source="rules", confidence=0.5, lang="en"
    )
    assert isinstance(outcome, Clarify)
    assert outcome.candidates == [rules_reading]
    assert outcome.source == "rules"
    assert "checkout" in outcome.question
    assert outcome == h.planner.plan_rules(text, CONTEXT)
    assert (len(h.anthropic.requests), len(h.openai.requests), len(h.gemini.requests)) == (1, 1, 1)


async def test_a_provider_plan_for_a_dangerous_command_is_only_a_plan_left_for_approval() -> None:
    text = "the checkout thing, the old one was better"
    async with hybrid() as h:
        h.assert_rules_unsure(text)
        h.anthropic.script(ToolCallReply("rollback", {"name": "checkout", "steps_back": 1}))
        outcome = await h.planner.plan(text, CONTEXT)

    assert outcome == Plan(
        command="rollback",
        args={"name": "checkout", "steps_back": 1},
        source="anthropic",
        confidence=PROVIDER_DANGEROUS_CONFIDENCE,
        lang="en",
    )
    risk = {info.name: info.risk for info in h.commands}[outcome.command]
    assert risk == "dangerous"  # the pipeline's policy asks for approval before anything runs
    assert len(h.anthropic.requests) == 1  # one question to the model; the planner executes nothing


async def test_an_app_name_the_model_invented_is_sent_back_and_the_grounded_retry_is_used() -> None:
    text = "checkout feels lonely, give it friends"
    async with hybrid() as h:
        h.assert_rules_unsure(text)
        h.anthropic.script(
            ToolCallReply("scale", {"name": "checkout-service-v2", "replicas": 3}),
            ToolCallReply("scale", {"name": "checkout", "replicas": 3}),
        )
        outcome = await h.planner.plan(text, CONTEXT)

    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args, outcome.source) == (
        "scale",
        {"name": "checkout", "replicas": 3},
        "anthropic",
    )
    retry = data_block(sent_prompt("anthropic", h.anthropic.requests[1].body).user_messages[0])
    assert "checkout-service-v2" in retry["previous_answer_rejected"]
