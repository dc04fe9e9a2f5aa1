"""The error taxonomy: every failure a person can act on is one of these.

Front doors show `str(error)` of a `KlepaasError` as is; anything else is a bug and is
reported as an internal error without details.
"""

from __future__ import annotations


class KlepaasError(Exception):
    """Base of every error we raise on purpose. Its message is written for the user."""

    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class UserError(KlepaasError):
    """The request itself is wrong (bad syntax, invalid argument); shown as is."""

    code = "user_error"


class ConfigError(KlepaasError):
    """A setting is missing or malformed; names the setting."""

    code = "config_error"


class NotFound(KlepaasError):
    code = "not_found"

    def __init__(self, message: str, *, hint: str | None = None, suggestions: list[str] | None = None):
        super().__init__(message, hint=hint)
        self.suggestions = suggestions or []


class AlreadyExists(KlepaasError):
    code = "already_exists"


class Forbidden(KlepaasError):
    code = "forbidden"


class Unauthorized(KlepaasError):
    code = "unauthorized"


class Conflict(KlepaasError):
    code = "conflict"


class Invalid(KlepaasError):
    code = "invalid"


class Unavailable(KlepaasError):
    """A dependency (cluster, database, provider) cannot be reached or answers 5xx."""

    code = "unavailable"


class RateLimited(Unavailable):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class TimedOut(Unavailable):
    code = "timed_out"
