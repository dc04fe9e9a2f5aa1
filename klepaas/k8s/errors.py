"""Kubernetes client failures as our own errors, with messages written for a person.

Nothing from the client library escapes `klepaas.k8s`: every `ApiException` and urllib3 error is
translated here, with the original chained as `__cause__` (the traceback keeps the story;
the person sees one sentence). We never put a response body in a message or a log line: a body
that is not a `Status` object is dropped, and a Status `message` is cut to `STATUS_MESSAGE_MAX`
characters (a data blob, a secret or a megabyte of HTML does not belong in Slack or the logs).
The chained `ApiException` itself is scrubbed to that message too, since tracebacks print causes.

Mapping, by HTTP status: 401 Unauthorized, 403 Forbidden, 404 NotFound (`ResourceNotFound`, with
suggestions filled in by the gateway from one list call), 409 AlreadyExists or Conflict, 410
`ResourceExpired` (watch/continue token too old; callers re-list), 400/422 Invalid, 429
RateLimited (Retry-After), 504 and client-side timeouts TimedOut, other 5xx, refused connections
and TLS failures Unavailable.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from klepaas.errors import (
    AlreadyExists,
    ConfigError,
    Conflict,
    Forbidden,
    Invalid,
    KlepaasError,
    NotFound,
    RateLimited,
    TimedOut,
    Unauthorized,
    Unavailable,
)

# A Status message longer than this is cut: enough for "deployments.apps "x" is forbidden: User
# "jane" cannot patch resource ..." and field errors, short enough for a chat line.
STATUS_MESSAGE_MAX = 300


@dataclass(frozen=True)
class ResourceRef:
    """What a call was about, for messages: `deployment "nginx" in namespace "default"`."""

    kind: str  # singular, lower case: "deployment", "pod", "namespace"
    name: str | None = None
    namespace: str | None = None

    def describe(self) -> str:
        text = f'{self.kind} "{self.name}"' if self.name else f"{self.kind}s"
        return f'{text} in namespace "{self.namespace}"' if self.namespace else text


class ResourceNotFound(NotFound):
    """A named object does not exist; carries what was looked for so a front door can say it in
    the user's language and offer the suggestions."""

    def __init__(
        self,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        suggestions: list[str] | None = None,
    ) -> None:
        hint = did_you_mean(suggestions) if suggestions else None
        where = f' in namespace "{namespace}"' if namespace else ""
        super().__init__(f'{kind} "{name}" not found{where}', hint=hint, suggestions=suggestions)
        self.kind = kind
        self.name = name
        self.namespace = namespace


class ResourceExpired(Conflict):
    """410 Gone: a watch's resourceVersion or a list's continue token is too old; re-list."""

    code = "expired"


def did_you_mean(suggestions: list[str]) -> str:
    return "did you mean " + " or ".join(f'"{s}"' for s in suggestions[:3]) + "?"


@dataclass(frozen=True)
class ApiStatus:
    """The parts of a Kubernetes `Status` body we may show: never the body itself."""

    code: int
    reason: str = ""
    message: str = ""
    retry_after: float | None = None
    causes: tuple[str, ...] = ()


def truncate(text: str, limit: int = STATUS_MESSAGE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def api_status(exc: ApiException) -> ApiStatus:
    """Status code, reason, message (truncated) and Retry-After of an ApiException."""
    code = int(exc.status or 0)
    body: Any = None
    raw = exc.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if isinstance(raw, str) and raw.lstrip().startswith("{"):
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    if not isinstance(body, dict) or body.get("kind") != "Status":
        body = {}  # not a Status: could be anything, show nothing of it
    details = body.get("details") or {}
    causes = tuple(
        truncate(f"{c.get('field', '')}: {c.get('message', '')}".strip(": "), 120)
        for c in (details.get("causes") or [])[:5]
        if isinstance(c, dict)
    )
    retry_after: float | None = None
    headers = exc.headers or {}
    header = headers.get("Retry-After") if hasattr(headers, "get") else None
    for candidate in (header, details.get("retryAfterSeconds")):
        try:
            if candidate is not None:
                retry_after = float(candidate)
                break
        except (TypeError, ValueError):
            continue
    return ApiStatus(
        code=int(body.get("code") or code),
        reason=str(body.get("reason") or exc.reason or ""),
        message=truncate(str(body.get("message") or "")),
        retry_after=retry_after,
        causes=causes,
    )


def scrub(exc: ApiException, status: ApiStatus | None = None) -> None:
    """Cut an ApiException down to its status line before it is chained as a cause: its `str()`
    prints the whole response body and headers, and tracebacks print the causes."""
    status = status or api_status(exc)
    exc.body = status.message or None
    exc.headers = None
    exc.data = None


def translate(
    exc: BaseException,
    ref: ResourceRef | None = None,
    *,
    verb: str = "get",
    cluster: str | None = None,
    timeout: float | None = None,
) -> KlepaasError:
    """Our error for a client failure; the caller raises it `from exc`."""
    where = f' "{cluster}"' if cluster else ""
    if isinstance(exc, KlepaasError):
        return exc
    if isinstance(exc, ApiException):
        status = api_status(exc)
        scrub(exc, status)
        return _from_status(status, ref, verb=verb, where=where)
    if isinstance(exc, ConfigException):
        return ConfigError(f"cannot load the Kubernetes configuration{where}: {truncate(str(exc), 200)}")
    return _from_transport(exc, where=where, timeout=timeout)


def _from_status(status: ApiStatus, ref: ResourceRef | None, *, verb: str, where: str) -> KlepaasError:
    what = ref.describe() if ref else "the resource"
    detail = f": {status.message}" if status.message else ""
    code = status.code
    if code == 0:
        # The client reports TLS failures as status 0 with the SSL error as reason.
        return Unavailable(
            f"cannot make a secure connection to the cluster{where}",
            hint="check the cluster's certificate in the kubeconfig",
        )
    if code == 401:
        return Unauthorized(
            f"the cluster{where} did not accept our credentials",
            hint="the kubeconfig token or certificate may have expired",
        )
    if code == 403:
        return Forbidden(f"not allowed to {verb} {what}{detail}")
    if code == 404:
        if ref and ref.name:
            return ResourceNotFound(ref.kind, ref.name, ref.namespace)
        return NotFound(f"{what} not found{detail}")
    if code == 409:
        if status.reason == "AlreadyExists":
            return AlreadyExists(f"{what} already exists")
        return Conflict(f"{what} was changed by someone else at the same time", hint="try again")
    if code == 410:
        return ResourceExpired(f"the list or watch of {what} is too old to continue{detail}")
    if code in (400, 422):
        causes = "; ".join(status.causes)
        return Invalid(
            f"the cluster refused to {verb} {what}: {causes or status.message or 'invalid request'}"
        )
    if code == 429:
        return RateLimited(
            f"the cluster{where} is rate-limiting us",
            retry_after=status.retry_after,
            hint=f"try again in {status.retry_after:g}s" if status.retry_after else None,
        )
    if code == 504:
        return TimedOut(f"the cluster{where} timed out while trying to {verb} {what}")
    if 500 <= code < 600:
        return Unavailable(f"the cluster{where} failed to {verb} {what} (HTTP {code}){detail}")
    return KlepaasError(f"unexpected answer from the cluster{where} (HTTP {code}){detail}")


def _from_transport(exc: BaseException, *, where: str, timeout: float | None) -> KlepaasError:
    reason: BaseException = exc
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        reason = exc.reason
    took = f" within {timeout:g}s" if timeout else ""
    if isinstance(reason, aiohttp.ClientError):
        return _from_aiohttp(reason, where=where, took=took)
    # Order matters: NameResolutionError < NewConnectionError < ConnectTimeoutError in urllib3.
    if isinstance(reason, urllib3.exceptions.NameResolutionError | socket.gaierror):
        return Unavailable(
            f"cannot resolve the cluster{where}'s address", hint="check the server URL in the kubeconfig"
        )
    if isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
        refused = ": connection refused" if "refused" in str(reason).lower() else ""
        return Unavailable(
            f"cannot connect to the cluster{where}{refused}",
            hint="is the API server running and the kubeconfig pointing at it?",
        )
    if isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
        return TimedOut(f"could not connect to the cluster{where}{took}")
    if isinstance(
        reason,
        urllib3.exceptions.ReadTimeoutError | urllib3.exceptions.TimeoutError | TimeoutError | socket.timeout,
    ):
        return TimedOut(f"the cluster{where} did not answer{took}")
    if isinstance(reason, urllib3.exceptions.SSLError):
        return Unavailable(
            f"cannot make a secure connection to the cluster{where}",
            hint="check the cluster's certificate in the kubeconfig",
        )
    if isinstance(
        reason, urllib3.exceptions.ProtocolError | urllib3.exceptions.HTTPError | ConnectionError | OSError
    ):
        return Unavailable(f"lost the connection to the cluster{where}")
    return Unavailable(f"cannot talk to the cluster{where} ({type(reason).__name__})")


def _from_aiohttp(exc: aiohttp.ClientError, *, where: str, took: str) -> KlepaasError:
    """`_from_transport` for the errors of `klepaas.k8s.transport.AsyncTransport`."""
    if isinstance(exc, aiohttp.ClientSSLError):
        return Unavailable(
            f"cannot make a secure connection to the cluster{where}",
            hint="check the cluster's certificate in the kubeconfig",
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc, aiohttp.ClientConnectorDNSError) or isinstance(exc.os_error, socket.gaierror):
            return Unavailable(
                f"cannot resolve the cluster{where}'s address", hint="check the server URL in the kubeconfig"
            )
        refused = ": connection refused" if isinstance(exc.os_error, ConnectionRefusedError) else ""
        return Unavailable(
            f"cannot connect to the cluster{where}{refused}",
            hint="is the API server running and the kubeconfig pointing at it?",
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TimedOut(f"could not connect to the cluster{where}{took}")
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return TimedOut(f"the cluster{where} did not answer{took}")
    return Unavailable(f"lost the connection to the cluster{where}")
