"""The hybrid planner: rules first, LLM providers when the rules are not sure, a question last.

`Planner.plan(text, context)`:
1. The rules read the text (`RulesParser.read`). At or above `RULES_THRESHOLD` (0.7) their answer
   is final — a plan, or a question they are sure of (a missing replica count, a refusal, small talk).
2. Below it, each provider in `settings.llm.provider_order` is asked for one tool call. The call must
   name a known command, its arguments must validate with that command's args model, and an app
   name must come from the text, the known apps or the previous plan (a model must not invent one).
   A bad answer gets ONE retry with `correction=<what was wrong>`; then the next provider is tried.
   A provider that fails (`ProviderError`: transport, timeout, rate limit, circuit open) is skipped.
3. When every provider failed (or there are none), the rules' best reading is offered as a question
   ("Did you mean: restart nginx in staging?" / "혹시 이걸 말씀하신 건가요: staging의 nginx 재시작?"),
   or, with no reading at all, the rules' own question.

A plan chosen by a provider for a `dangerous` command has its confidence capped at
`PROVIDER_DANGEROUS_CONFIDENCE` and is logged as such; the pipeline asks approval for dangerous
commands anyway. `Plan.source` is "rules", "context" (a follow-up completed from the previous
plan) or the provider's name.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from klepaas.config import Settings
from klepaas.llm.plan import Clarify, CommandInfo, Lang, Plan, PlanningContext
from klepaas.llm.providers.base import Provider, ProviderError, ToolCall
from klepaas.llm.providers.errors import MalformedAnswerError
from klepaas.llm.rules import messages
from klepaas.llm.rules.lang import detect_lang
from klepaas.llm.rules.normalize import normalize
from klepaas.llm.rules.parser import RULES_THRESHOLD, Reading, RulesConfig, RulesParser
from klepaas.logging import get_logger

log = get_logger(__name__)

PROVIDER_CONFIDENCE = 0.8
"""Confidence given to a validated provider plan."""
PROVIDER_DANGEROUS_CONFIDENCE = 0.6
"""Cap for a provider plan of a dangerous command: marks it as the model's guess."""

_WORDS = re.compile(r"[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?")


class Planner:
    """Plans one utterance at a time. Build with `build_planner`; safe to share across tasks."""

    def __init__(
        self,
        commands: list[CommandInfo],
        rules: RulesParser,
        providers: list[Provider] | None = None,
        threshold: float = RULES_THRESHOLD,
    ) -> None:
        self._commands = {c.name: c for c in commands}
        self._rules = rules
        self._providers = list(providers or [])
        self._threshold = threshold

    @property
    def providers(self) -> list[Provider]:
        return list(self._providers)

    @property
    def rules(self) -> RulesParser:
        return self._rules

    def plan_rules(self, text: str, context: PlanningContext | None = None) -> Plan | Clarify:
        """The rules alone (synchronous): what `plan` answers with no providers."""
        reading = self._rules.read(text, context)
        return reading.outcome if reading.confidence >= self._threshold else _fallback(reading)

    async def plan(self, text: str, context: PlanningContext | None = None) -> Plan | Clarify:
        context = context or PlanningContext()
        reading = self._rules.read(text, context)
        if reading.confidence >= self._threshold:
            return reading.outcome
        for provider in self._providers:
            plan = await self._ask(provider, text, context)
            if plan is not None:
                return plan
        return _fallback(reading)

    async def _ask(self, provider: Provider, text: str, context: PlanningContext) -> Plan | None:
        correction: str | None = None
        for attempt in (1, 2):
            try:
                call = await provider.choose_tool(
                    text, list(self._commands.values()), context, correction=correction
                )
            except MalformedAnswerError as exc:
                problem = str(exc)
            except ProviderError as exc:
                log.warning("planner.provider_failed", provider=provider.name, error=str(exc))
                return None
            else:
                plan_or_problem = self.validate_call(call, text, context, provider.name)
                if isinstance(plan_or_problem, Plan):
                    return plan_or_problem
                problem = plan_or_problem
            log.info(
                "planner.provider_answer_rejected", provider=provider.name, attempt=attempt, problem=problem
            )
            correction = problem
        return None

    def validate_call(self, call: ToolCall, text: str, context: PlanningContext, source: str) -> Plan | str:
        """A provider's tool call as a Plan, or what was wrong with it (sent back as the correction)."""
        info = self._commands.get(call.name)
        if info is None:
            return f"unknown tool {call.name!r}; call exactly one of: {', '.join(self._commands)}"
        arguments: dict[str, Any] = {k: v for k, v in call.arguments.items() if v is not None}
        try:
            model = info.args_model.model_validate(arguments)
        except ValidationError as exc:
            return f"invalid arguments for {call.name}: {_errors(exc)}"
        args = model.model_dump(exclude_defaults=True, mode="json")
        name = args.get("name")
        if isinstance(name, str) and not _grounded(name, text, context):
            return (
                f"the name {name!r} does not appear in the user's message or the known apps; "
                "use the name exactly as the user wrote it"
            )
        if args.get("namespace") == "*" and "name" in args:
            return f"{call.name} works in one namespace; do not use namespace '*'"
        lang: Lang = detect_lang(text)
        confidence = PROVIDER_CONFIDENCE
        if info.risk == "dangerous":
            confidence = min(confidence, PROVIDER_DANGEROUS_CONFIDENCE)
            log.info("planner.provider_dangerous_plan", provider=source, command=call.name)
        return Plan(command=call.name, args=args, source=source, confidence=confidence, lang=lang)


def build_planner(
    settings: Settings, commands: list[CommandInfo], providers: list[Provider] | None = None
) -> Planner:
    """The planner for these commands: rules, then `providers` (default: from `settings.llm`)."""
    if providers is None:
        providers = _configured_providers(settings)
    rules = RulesParser(
        commands,
        RulesConfig(
            staging_namespace=settings.kube.staging_namespace,
            production_namespace=settings.kube.production_namespace,
        ),
    )
    if providers:
        names = [p.name for p in providers]
        log.info("planner.ready", mode="hybrid", providers=names, threshold=RULES_THRESHOLD)
    else:
        log.info("planner.ready", mode="rules-only", reason="no LLM provider configured with a key")
    return Planner(commands, rules, providers)


def _configured_providers(settings: Settings) -> list[Provider]:
    if not settings.llm.provider_order:
        return []
    try:
        from klepaas.llm.providers.registry import build_providers
    except ImportError:
        log.warning("planner.providers_unavailable", reason="klepaas.llm.providers.registry is missing")
        return []
    return build_providers(settings.llm)


def _fallback(reading: Reading) -> Clarify:
    """The rules' own question, or their low-confidence plan offered as a question."""
    outcome = reading.outcome
    if isinstance(outcome, Clarify):
        return outcome
    text = messages.question(
        "did_you_mean", outcome.lang, plans=messages.describe(outcome.command, outcome.args, outcome.lang)
    )
    return Clarify(text, outcome.lang, [outcome], source="rules")


def _grounded(name: str, text: str, context: PlanningContext) -> bool:
    """The name was typed by the user, is a known app, or is the previous plan's app."""
    if name in context.app_names:
        return True
    if context.previous is not None and context.previous.args.get("name") == name:
        return True
    return name in set(_WORDS.findall(normalize(text)))


def _errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "arguments"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)
