"""Per-provider protection: a timeout per attempt, bounded Retry-After on 429, a circuit breaker.

- Timeout: each attempt is cut after `timeout_seconds` (default 8 s) with `asyncio.timeout`, on
  top of the SDK's own timeout, so a provider that stalls cannot hold a request longer.
- 429: retried with tenacity, waiting what the server's `Retry-After` said, but only while that
  wait is at most `max_retry_after` (default 10 s) and at most `max_rate_limit_retries` times; a
  longer wait fails at once so the planner moves on to the next provider.
- Circuit breaker: after `failure_threshold` (5) consecutive unavailability failures the provider
  is not called for `reset_timeout` (60 s); then one trial call is let through (half-open): its
  success closes the breaker, its failure opens it again.

The breaker is a small class of our own rather than a library: the asyncio breakers on PyPI
(purgatory, aiobreaker) read the wall clock directly (`time.time()`, `datetime.now()`) with no way
to inject a clock, so half-open could only be tested by sleeping or patching their internals, and
aiobreaker has had no release since 2021. Ours takes a monotonic clock as a parameter.

A malformed answer is not an availability failure: the provider is up, so it counts as a success
for the breaker (and is not retried here; the planner decides about a retry with a correction).
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from klepaas.llm.providers.base import ProviderError
from klepaas.llm.providers.errors import (
    CircuitOpenError,
    MalformedAnswerError,
    ProviderTimeoutError,
    RateLimitedError,
)
from klepaas.metrics import metrics

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
BreakerState = Literal["closed", "open", "half_open"]

# When a 429 carries no Retry-After, wait this long before the one retry it allows.
DEFAULT_RATE_LIMIT_WAIT = 1.0


@dataclass(frozen=True)
class ResiliencePolicy:
    """Limits for one provider. Worst case per call: attempts × timeout + retries × max_retry_after."""

    timeout_seconds: float = 8.0
    max_retry_after: float = 10.0
    max_rate_limit_retries: int = 2
    failure_threshold: int = 5
    reset_timeout: float = 60.0


class CircuitBreaker:
    """Consecutive-failure breaker with an injectable monotonic clock.

    closed → (threshold consecutive failures) → open → (reset_timeout elapsed) → half_open;
    in half_open one trial call runs at a time: success → closed, failure → open again.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self._clock() - self._opened_at >= self.reset_timeout:
            return "half_open"
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def before_call(self) -> None:
        """Let the call through, or raise `CircuitOpenError`."""
        state = self.state
        if state == "closed":
            return
        if state == "half_open" and not self._trial_running:
            self._state = "half_open"
            self._trial_running = True
            return
        retry_in = max(0.0, self._opened_at + self.reset_timeout - self._clock())
        raise CircuitOpenError(self.name, retry_in=retry_in)

    def record_success(self) -> None:
        self._state = "closed"
        self._failures = 0
        self._trial_running = False

    def abandon_trial(self) -> None:
        """The call ended without a verdict (cancelled): the next call may be the trial."""
        self._trial_running = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._state == "half_open" or self._failures >= self.failure_threshold:
            self._state = "open"
            self._opened_at = self._clock()
        self._trial_running = False


class ProviderGuard:
    """Runs one provider call under the policy: breaker check, per-attempt timeout, 429 retries."""

    def __init__(
        self,
        name: str,
        policy: ResiliencePolicy | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.policy = policy or ResiliencePolicy()
        self.breaker = CircuitBreaker(
            name,
            failure_threshold=self.policy.failure_threshold,
            reset_timeout=self.policy.reset_timeout,
            clock=clock,
        )
        self._sleep = sleep

    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        recorder = metrics()
        try:
            self.breaker.before_call()
        finally:
            recorder.set_breaker(f"llm:{self.name}", self.breaker.state)
        try:
            with recorder.external_call("llm", self.name):
                result = await self._with_retries(attempt)
        except MalformedAnswerError:
            self.breaker.record_success()
            raise
        except ProviderError:
            self.breaker.record_failure()
            raise
        except BaseException:
            # Cancelled (or a bug of ours): no verdict about the provider.
            self.breaker.abandon_trial()
            raise
        finally:
            recorder.set_breaker(f"llm:{self.name}", self.breaker.state)
        self.breaker.record_success()
        recorder.set_breaker(f"llm:{self.name}", self.breaker.state)
        return result

    async def _with_retries(self, attempt: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            retry=retry_if_exception(self._worth_waiting_for),
            wait=_server_retry_after,
            stop=stop_after_attempt(1 + self.policy.max_rate_limit_retries),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt_state in retrying:
            with attempt_state:
                return await self._one_attempt(attempt)
        raise AssertionError("unreachable: tenacity either returns or reraises")  # pragma: no cover

    async def _one_attempt(self, attempt: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self.policy.timeout_seconds):
                return await attempt()
        except TimeoutError as error:
            raise ProviderTimeoutError(
                f"{self.name}: no answer within {self.policy.timeout_seconds:g}s"
            ) from error

    def _worth_waiting_for(self, error: BaseException) -> bool:
        if not isinstance(error, RateLimitedError):
            return False
        wait = DEFAULT_RATE_LIMIT_WAIT if error.retry_after is None else error.retry_after
        return wait <= self.policy.max_retry_after


def _server_retry_after(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome is not None else None
    if isinstance(error, RateLimitedError) and error.retry_after is not None:
        return max(0.0, error.retry_after)
    return DEFAULT_RATE_LIMIT_WAIT


def retry_after_seconds(headers: Mapping[str, str] | None, *, now: datetime | None = None) -> float | None:
    """The wait a response asks for: `retry-after-ms`, else `Retry-After` in seconds or as a date."""
    if not headers:
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
