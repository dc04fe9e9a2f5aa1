"""Translating kubernetes-client failures into our errors, with messages for a person."""

from __future__ import annotations

import json

import pytest
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from klepaas.errors import (
    AlreadyExists,
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
from klepaas.k8s.errors import (
    STATUS_MESSAGE_MAX,
    ResourceExpired,
    ResourceNotFound,
    ResourceRef,
    api_status,
    translate,
)

REF = ResourceRef("deployment", "api", "staging")


def _api_error(status: int, body: object = None, headers: dict[str, str] | None = None) -> ApiException:
    exc = ApiException(status=status, reason="Reason")
    exc.body = body if isinstance(body, str | None) else json.dumps(body)
    exc.headers = headers or {}
    return exc


def _status(code: int, reason: str, message: str, **details: object) -> dict[str, object]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
        "details": details,
    }


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (401, "Unauthorized", Unauthorized),
        (403, "Forbidden", Forbidden),
        (404, "NotFound", ResourceNotFound),
        (409, "AlreadyExists", AlreadyExists),
        (409, "Conflict", Conflict),
        (410, "Expired", ResourceExpired),
        (422, "Invalid", Invalid),
        (400, "BadRequest", Invalid),
        (429, "TooManyRequests", RateLimited),
        (500, "InternalError", Unavailable),
        (503, "ServiceUnavailable", Unavailable),
        (504, "Timeout", TimedOut),
    ],
)
def test_each_http_status_maps_to_its_own_error(
    status: int, reason: str, expected: type[KlepaasError]
) -> None:
    error = translate(_api_error(status, _status(status, reason, "m")), REF)

    assert type(error) is expected


def test_a_not_found_names_the_object_and_its_namespace() -> None:
    error = translate(_api_error(404, _status(404, "NotFound", 'deployments.apps "api" not found')), REF)

    assert isinstance(error, NotFound)
    assert str(error) == 'deployment "api" not found in namespace "staging"'


def test_a_forbidden_carries_the_servers_reason() -> None:
    message = 'deployments.apps "api" is forbidden: User "bob" cannot patch resource "deployments"'

    error = translate(_api_error(403, _status(403, "Forbidden", message)), REF, verb="patch")

    assert str(error) == f'not allowed to patch deployment "api" in namespace "staging": {message}'


def test_an_invalid_request_lists_the_field_causes() -> None:
    body = _status(
        422,
        "Invalid",
        'Deployment.apps "api" is invalid',
        causes=[
            {
                "field": "spec.replicas",
                "message": "must be greater than or equal to 0",
                "reason": "FieldValueInvalid",
            }
        ],
    )

    error = translate(_api_error(422, body), REF, verb="patch")

    assert str(error) == (
        'the cluster refused to patch deployment "api" in namespace "staging": '
        "spec.replicas: must be greater than or equal to 0"
    )


def test_a_body_that_is_not_a_status_never_reaches_the_message() -> None:
    secret_page = "<html>" + "token=hunter2 " * 500 + "</html>"

    error = translate(_api_error(502, secret_page), REF)

    assert "hunter2" not in str(error)
    assert "<html>" not in str(error)
    assert str(error) == 'the cluster failed to get deployment "api" in namespace "staging" (HTTP 502)'


def test_a_long_status_message_is_cut() -> None:
    status = api_status(_api_error(500, _status(500, "InternalError", "x" * 5000)))

    assert len(status.message) == STATUS_MESSAGE_MAX
    assert status.message.endswith("…")


def test_rate_limiting_reads_retry_after_from_the_header_or_the_status_details() -> None:
    from_header = translate(
        _api_error(429, _status(429, "TooManyRequests", "slow down"), {"Retry-After": "3"})
    )
    from_details = translate(
        _api_error(429, _status(429, "TooManyRequests", "slow down", retryAfterSeconds=5))
    )

    assert isinstance(from_header, RateLimited) and from_header.retry_after == 3.0
    assert isinstance(from_details, RateLimited) and from_details.retry_after == 5.0
    assert str(from_header) == "the cluster is rate-limiting us — try again in 3s"


def test_a_refused_connection_is_unavailable_and_says_so() -> None:
    refused = urllib3.exceptions.NewConnectionError(
        None, "Failed to establish a new connection: [Errno 111] Connection refused"
    )  # type: ignore[arg-type]
    exc = urllib3.exceptions.MaxRetryError(None, "/api", refused)  # type: ignore[arg-type]

    error = translate(exc, cluster="prod")

    assert type(error) is Unavailable
    assert str(error).startswith('cannot connect to the cluster "prod": connection refused')


def test_a_read_timeout_is_timed_out_with_the_configured_limit() -> None:
    exc = urllib3.exceptions.ReadTimeoutError(None, "/api", "read timed out")  # type: ignore[arg-type]

    error = translate(exc, cluster="prod", timeout=2.5)

    assert type(error) is TimedOut
    assert str(error) == 'the cluster "prod" did not answer within 2.5s'


def test_a_connect_timeout_is_timed_out() -> None:
    exc = urllib3.exceptions.MaxRetryError(
        None,
        "/api",
        urllib3.exceptions.ConnectTimeoutError(None, "timed out"),  # type: ignore[arg-type]
    )

    assert type(translate(exc)) is TimedOut


def test_a_dropped_connection_is_unavailable() -> None:
    error = translate(urllib3.exceptions.ProtocolError("Connection aborted."))

    assert type(error) is Unavailable
    assert str(error) == "lost the connection to the cluster"


def test_suggestions_become_a_did_you_mean_hint() -> None:
    error = ResourceNotFound("deployment", "ngnix", "default", suggestions=["nginx", "nginx-canary"])

    assert (
        str(error)
        == 'deployment "ngnix" not found in namespace "default" — did you mean "nginx" or "nginx-canary"?'
    )


def test_the_chained_client_exception_keeps_no_body_for_tracebacks() -> None:
    exc = _api_error(
        500,
        _status(500, "InternalError", "etcd is unhappy", causes=[{"message": "secret=s3cr3t"}]),
        {"Set-Cookie": "session=abc"},
    )

    translate(exc, REF)

    assert "s3cr3t" not in str(exc) and "session=abc" not in str(exc)
    assert "etcd is unhappy" in str(exc)
