"""Every error the gateway can word is recognised and said in Korean; English keeps its own words.

The catalogue's English side is the gateway's wording: each error `klepaas.k8s.errors.translate`
makes is read back to exactly its own text, so a change of wording down there fails here."""

from __future__ import annotations

import json
import socket

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from klepaas.commands.localise import HINT_KEYS, MESSAGE_KEYS, error_words, has_hangul, reword
from klepaas.errors import Forbidden, KlepaasError, UserError
from klepaas.k8s.errors import ResourceRef, translate

REF = ResourceRef("deployment", "api", "staging")


def api_error(code: int, reason: str = "", message: str = "", retry_after: int | None = None) -> ApiException:
    exc = ApiException(status=code, reason=reason)
    body: dict[str, object] = {"kind": "Status", "code": code, "reason": reason, "message": message}
    if code == 422:
        body["details"] = {"causes": [{"field": "spec.replicas", "message": "must be >= 0"}]}
    exc.body = json.dumps(body)
    exc.headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return exc


def gateway_errors() -> list[KlepaasError]:
    """One error of every kind the gateway words, with and without the optional parts."""
    statuses = [
        api_error(0, "SSL"),
        api_error(401, "Unauthorized"),
        api_error(403, "Forbidden", 'deployments.apps "api" is forbidden'),
        api_error(403, "Forbidden"),
        api_error(409, "AlreadyExists"),
        api_error(409, "Conflict"),
        api_error(410, "Expired", "too old resource version"),
        api_error(410, "Expired"),
        api_error(422, "Invalid"),
        api_error(429, "TooManyRequests", retry_after=7),
        api_error(429, "TooManyRequests"),
        api_error(504, "Timeout"),
        api_error(500, "InternalError", "boom"),
        api_error(503, "ServiceUnavailable"),
        api_error(302, "Found", "moved"),
        api_error(302, "Found"),
    ]
    errors = [translate(exc, REF, verb="scale", cluster="prod") for exc in statuses]
    errors += [translate(exc, REF, verb="roll back") for exc in statuses[:4]]  # no cluster name
    errors += [
        translate(api_error(404, "NotFound", "gone"), ResourceRef("pod", None, "default"), verb="list"),
        translate(api_error(404, "NotFound"), ResourceRef("ingress"), verb="list", cluster="prod"),
        translate(api_error(403, "Forbidden"), None, verb="read the logs of"),
    ]
    transport = [
        urllib3.exceptions.NameResolutionError("h", None, socket.gaierror("x")),  # type: ignore[arg-type]
        ConnectionRefusedError("Connection refused"),
        urllib3.exceptions.NewConnectionError(None, "no route"),  # type: ignore[arg-type]
        urllib3.exceptions.ConnectTimeoutError(),
        urllib3.exceptions.ReadTimeoutError(None, "/", "x"),  # type: ignore[arg-type]
        urllib3.exceptions.SSLError(),
        urllib3.exceptions.ProtocolError(),
        ValueError("x"),
    ]
    for timeout in (10.0, None):
        errors += [translate(exc, REF, cluster="prod", timeout=timeout) for exc in transport]
    return errors


@pytest.mark.parametrize("error", gateway_errors(), ids=lambda e: f"{e.code}:{e.message[:40]}")
def test_every_gateway_error_is_recognised_and_said_in_korean(error: KlepaasError) -> None:
    assert reword(error.message, MESSAGE_KEYS, "en") == error.message
    words = error_words(error, "ko")
    assert has_hangul(words.message) and words.message == reword(error.message, MESSAGE_KEYS, "ko")
    if error.hint is not None:
        assert reword(error.hint, HINT_KEYS, "en") == error.hint
        assert words.hint is not None and has_hangul(words.hint)


def test_english_is_the_errors_own_words() -> None:
    error = translate(api_error(429, "TooManyRequests", retry_after=3), REF, cluster="prod")

    words = error_words(error, "en")

    assert (words.message, words.hint) == ('the cluster "prod" is rate-limiting us', "try again in 3s")


def test_a_forbidden_read_names_the_object_and_quotes_the_cluster() -> None:
    error = translate(
        api_error(403, "Forbidden", 'pods "web-1" is forbidden'), ResourceRef("pod", "web-1", "prod")
    )

    assert error_words(error, "ko").message == (
        '"prod" 네임스페이스의 파드 "web-1" 조회 권한이 없습니다 (클러스터 응답: pods "web-1" is forbidden)'
    )


def test_words_nobody_taught_us_are_kept_after_a_korean_sentence_for_their_kind() -> None:
    words = error_words(Forbidden("the moon is not yours", hint="ask the sun"), "ko")

    assert (words.message, words.hint) == ("권한이 없습니다: the moon is not yours", "참고: ask the sun")


def test_a_message_already_in_korean_is_left_alone() -> None:
    error = UserError("무엇을 할지 말해 주세요.", hint="type `help` for the commands")

    words = error_words(error, "ko")

    assert (words.message, words.hint) == ("무엇을 할지 말해 주세요.", "`help`로 명령 목록을 볼 수 있습니다")
