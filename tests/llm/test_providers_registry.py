"""`build_providers`: the configured order, keyless providers skipped with a log line, bad names refused."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from klepaas.config import LLMSettings
from klepaas.errors import ConfigError
from klepaas.llm.providers.anthropic_provider import AnthropicProvider
from klepaas.llm.providers.gemini_provider import GeminiProvider
from klepaas.llm.providers.openai_provider import OpenAIProvider
from klepaas.llm.providers.registry import build_providers

NO_KEYS: dict[str, Any] = {"anthropic_api_key": None, "openai_api_key": None, "gemini_api_key": None}


def settings(providers: str, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {**NO_KEYS, "providers": providers, **overrides}
    return LLMSettings(_env_file=None, **values)


def test_providers_come_in_the_configured_order() -> None:
    llm = settings("gemini, openai,anthropic", anthropic_api_key="a", openai_api_key="o", gemini_api_key="g")
    providers = build_providers(llm)
    assert [p.name for p in providers] == ["gemini", "openai", "anthropic"]
    assert [type(p) for p in providers] == [GeminiProvider, OpenAIProvider, AnthropicProvider]


def test_a_provider_without_a_key_is_skipped_with_a_start_up_log_line() -> None:
    with capture_logs() as logs:
        providers = build_providers(settings("anthropic,openai", openai_api_key="o"))
    assert [p.name for p in providers] == ["openai"]
    assert {
        "event": "llm provider skipped: no API key",
        "provider": "anthropic",
        "setting": "ANTHROPIC_API_KEY",
        "log_level": "info",
    } in logs


def test_no_providers_configured_means_rules_only() -> None:
    assert build_providers(settings("", anthropic_api_key="a")) == []


def test_an_unknown_provider_name_is_a_config_error_that_names_it() -> None:
    with pytest.raises(ConfigError, match="unknown provider: 'mistral'") as caught:
        build_providers(settings("openai,mistral", openai_api_key="o"))
    assert "anthropic, openai, gemini" in str(caught.value)


def test_a_provider_named_twice_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="names 'openai' twice"):
        build_providers(settings("openai,OpenAI", openai_api_key="o"))


def test_claude_is_accepted_as_the_name_of_the_anthropic_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_API_KEY", "from-claude-alias")
    llm = LLMSettings(_env_file=None, providers="claude", openai_api_key=None, gemini_api_key=None)
    [provider] = build_providers(llm)
    assert isinstance(provider, AnthropicProvider)


def test_the_configured_timeout_becomes_each_providers_timeout() -> None:
    [provider] = build_providers(settings("openai", openai_api_key="o", timeout_seconds=2.5))
    assert isinstance(provider, OpenAIProvider)
    assert provider.guard.policy.timeout_seconds == 2.5
