"""The kinds of `ProviderError`, so callers can tell a bad answer from an unreachable provider.

Every one is a `ProviderError` (the planner falls through to the next provider on any of them).
The difference matters in two places: the circuit breaker counts only unavailability, and the
planner's single retry with a `correction` only helps after a `MalformedAnswerError`, whose
message is written to be fed back to the model.
"""

from __future__ import annotations

from klepaas.llm.providers.base import ProviderError


class MalformedAnswerError(ProviderError):
    """The provider answered, but not with exactly one known tool call with JSON object arguments.

    `str(error)` says what was wrong and what is expected; it is safe to send back as `correction`.
    """


class ProviderUnavailableError(ProviderError):
    """Transport failure, HTTP error status, or a response the SDK could not read."""


class ProviderTimeoutError(ProviderUnavailableError):
    """No answer within the provider's timeout."""


class RateLimitedError(ProviderUnavailableError):
    """HTTP 429. `retry_after` is the server's wait in seconds, when it said one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CircuitOpenError(ProviderUnavailableError):
    """The provider failed too often lately; it is not called until its breaker half-opens."""

    def __init__(self, provider: str, *, retry_in: float) -> None:
        super().__init__(f"{provider}: circuit open after repeated failures; next try in {retry_in:.0f}s")
        self.provider = provider
        self.retry_in = retry_in
