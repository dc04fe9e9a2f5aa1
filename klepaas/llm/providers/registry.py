"""Build the providers named in `KLEPAAS_LLM_PROVIDERS`, in that order, from the settings.

A named provider without an API key is skipped with one log line at start-up (the bot still runs
on the rules and the other providers); an unknown name is a `ConfigError`. Each SDK is imported
only when its provider is configured, so a rules-only start-up pays for none of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from klepaas.config import LLMSettings
from klepaas.errors import ConfigError
from klepaas.llm.providers.base import Provider
from klepaas.llm.providers.resilience import Clock, ProviderGuard, ResiliencePolicy, Sleep
from klepaas.logging import get_logger

log = get_logger(__name__)

# Accepted spellings of each provider name (the CLAUDE_API_KEY alias suggests "claude").
ALIASES = {"anthropic": "anthropic", "claude": "anthropic", "openai": "openai", "gemini": "gemini"}
KEY_SETTINGS = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY", "gemini": "GEMINI_API_KEY"}


@dataclass(frozen=True)
class _Spec:
    api_key: str
    model: str
    base_url: str | None
    timeout_seconds: float
    guard: ProviderGuard


def build_providers(
    llm: LLMSettings,
    *,
    policy: ResiliencePolicy | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> list[Provider]:
    """One provider per configured name that has a key, in the configured order."""
    names = _canonical_names(llm.provider_order)
    base_policy = policy or ResiliencePolicy(timeout_seconds=llm.timeout_seconds)
    providers: list[Provider] = []
    for name in names:
        secret = getattr(llm, f"{name}_api_key")
        key = secret.get_secret_value().strip() if secret is not None else ""
        if not key:
            log.info("llm provider skipped: no API key", provider=name, setting=KEY_SETTINGS[name])
            continue
        spec = _Spec(
            api_key=key,
            model=getattr(llm, f"{name}_model"),
            base_url=getattr(llm, f"{name}_base_url"),
            timeout_seconds=base_policy.timeout_seconds,
            guard=ProviderGuard(name, base_policy, clock=clock, sleep=sleep),
        )
        providers.append(_FACTORIES[name](spec))
        log.info("llm provider enabled", provider=name, model=spec.model)
    return providers


def _canonical_names(order: list[str]) -> list[str]:
    names: list[str] = []
    for raw in order:
        name = ALIASES.get(raw)
        if name is None:
            raise ConfigError(
                f"KLEPAAS_LLM_PROVIDERS names an unknown provider: {raw!r}",
                hint="use a comma-separated list of anthropic, openai, gemini (or leave it empty)",
            )
        if name in names:
            raise ConfigError(f"KLEPAAS_LLM_PROVIDERS names {name!r} twice")
        names.append(name)
    return names


def _anthropic(spec: _Spec) -> Provider:
    from klepaas.llm.providers.anthropic_provider import AnthropicProvider

    return AnthropicProvider(
        api_key=spec.api_key,
        model=spec.model,
        base_url=spec.base_url,
        timeout_seconds=spec.timeout_seconds,
        guard=spec.guard,
    )


def _openai(spec: _Spec) -> Provider:
    from klepaas.llm.providers.openai_provider import OpenAIProvider

    return OpenAIProvider(
        api_key=spec.api_key,
        model=spec.model,
        base_url=spec.base_url,
        timeout_seconds=spec.timeout_seconds,
        guard=spec.guard,
    )


def _gemini(spec: _Spec) -> Provider:
    from klepaas.llm.providers.gemini_provider import GeminiProvider

    return GeminiProvider(
        api_key=spec.api_key,
        model=spec.model,
        base_url=spec.base_url,
        timeout_seconds=spec.timeout_seconds,
        guard=spec.guard,
    )


_FACTORIES: dict[str, Callable[[_Spec], Provider]] = {
    "anthropic": _anthropic,
    "openai": _openai,
    "gemini": _gemini,
}
