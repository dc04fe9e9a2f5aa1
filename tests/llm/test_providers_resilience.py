"""The breaker, the guard and Retry-After parsing on their own, with a fake clock and no sleeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from klepaas.llm.providers.answer import RawCall, single_tool_call
from klepaas.llm.providers.base import ToolCall
from klepaas.llm.providers.errors import (
    CircuitOpenError,
    MalformedAnswerError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
)
from klepaas.llm.providers.resilience import (
    CircuitBreaker,
    ProviderGuard,
    ResiliencePolicy,
    retry_after_seconds,
)
from tests.llm.provider_kit import FakeClock, RecordingSleep


def test_the_breaker_stays_closed_until_five_consecutive_failures() -> None:
    breaker = CircuitBreaker("p", clock=FakeClock())
    for _ in range(4):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(4):
        breaker.record_failure()
    breaker.before_call()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        breaker.before_call()


def test_the_breaker_lets_exactly_one_trial_through_when_half_open() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("p", failure_threshold=1, reset_timeout=60, clock=clock)
    breaker.record_failure()
    clock.advance(60)
    breaker.before_call()  # the trial
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # a second caller while the trial runs
    breaker.record_success()
    assert breaker.state == "closed"


def test_an_abandoned_trial_lets_the_next_call_be_the_trial() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("p", failure_threshold=1, clock=clock)
    breaker.record_failure()
    clock.advance(61)
    breaker.before_call()
    breaker.abandon_trial()
    breaker.before_call()
    assert breaker.state == "half_open"


def test_a_breaker_needs_a_positive_threshold() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker("p", failure_threshold=0)


async def test_the_guard_cuts_an_attempt_at_its_timeout() -> None:
    never = asyncio.Event()

    async def stall() -> None:
        await never.wait()

    guard = ProviderGuard("p", ResiliencePolicy(timeout_seconds=0.05))
    with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.05s"):
        await guard.call(stall)
    assert guard.breaker.consecutive_failures == 1


async def test_the_guard_retries_a_capped_rate_limit_and_counts_one_failure_when_it_persists() -> None:
    attempts = 0

    async def limited() -> None:
        nonlocal attempts
        attempts += 1
        raise RateLimitedError("p: 429", retry_after=10.0)

    sleep = RecordingSleep()
    guard = ProviderGuard("p", ResiliencePolicy(max_retry_after=10.0), clock=FakeClock(), sleep=sleep)
    with pytest.raises(RateLimitedError):
        await guard.call(limited)
    assert (attempts, sleep.waits, guard.breaker.consecutive_failures) == (3, [10.0, 10.0], 1)


async def test_the_guard_does_not_retry_other_failures() -> None:
    attempts = 0

    async def down() -> None:
        nonlocal attempts
        attempts += 1
        raise ProviderUnavailableError("p: HTTP 503")

    guard = ProviderGuard("p", sleep=RecordingSleep())
    with pytest.raises(ProviderUnavailableError):
        await guard.call(down)
    assert attempts == 1


def test_retry_after_is_read_as_seconds_milliseconds_or_an_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"Retry-After": "Wed, 01 Jan 2025 12:00:04 GMT"}, now=now) == 4.0
    assert retry_after_seconds({"Retry-After": "Wed, 01 Jan 2025 11:00:00 GMT"}, now=now) == 0.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None
    assert retry_after_seconds(None) is None


def test_a_single_known_call_with_json_string_arguments_is_accepted() -> None:
    call = single_tool_call("p", [RawCall("status", '{"name": "api"}')], ["status"])
    assert call == ToolCall("status", {"name": "api"})


def test_empty_arguments_mean_no_arguments() -> None:
    assert single_tool_call("p", [RawCall("status", "")], ["status"]) == ToolCall("status", {})
    assert single_tool_call("p", [RawCall("status", None)], ["status"]) == ToolCall("status", {})


def test_arguments_that_are_a_json_list_are_refused() -> None:
    with pytest.raises(MalformedAnswerError, match="must be a JSON object, not list"):
        single_tool_call("p", [RawCall("status", "[1, 2]")], ["status"])


def test_a_long_text_answer_is_quoted_shortly_in_the_correction() -> None:
    with pytest.raises(MalformedAnswerError) as caught:
        single_tool_call("p", [], ["status"], text="blah " * 200)
    assert len(str(caught.value)) < 260
