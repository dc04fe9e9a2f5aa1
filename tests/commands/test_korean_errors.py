"""A Korean speaker reads every failure in Korean: real failures of the sandbox cluster (down,
forbidden by RBAC, 5xx, 429, a lost race, a timeout, a refused change) and of the request itself
(usage, unknown command, no approver), through the whole pipeline with the real commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from klepaas.commands.pipeline import Request
from klepaas.commands.services import Services, build_services
from klepaas.config import KubeSettings, LLMSettings, Settings, StorageSettings
from klepaas.k8s.sandbox.cluster import SandboxCluster
from tests.commands import test_error_paths as english  # the English twin of these tests
from tests.commands.test_error_paths import ME, Approver, audited, handle, race_updates, seen, shapes
from tests.k8s.gateway_helpers import samples_ready

pytestmark = pytest.mark.sandbox(samples=True)

# The twin's fixtures: the real services over the sandbox, and the same acting as RBAC-limited bob.
services = english.services
as_bob = english.as_bob

SANDBOX = "klepaas-sandbox"


async def test_a_cluster_that_went_away_is_unavailable_in_korean(
    services: Services,
    sandbox: SandboxCluster,
) -> None:
    await handle(services, "status nginx")  # connections are open and pooled
    await sandbox.stop()

    outcome = await handle(services, "nginx 상태 어때")

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "unavailable")
    assert seen(outcome.result) == [
        f'클러스터 "{SANDBOX}"에 연결할 수 없습니다: 연결이 거부되었습니다',
        "API 서버가 실행 중인지, kubeconfig가 그 서버를 가리키는지 확인하세요",
    ]
    assert outcome.result.data["message"] == outcome.result.summary
    assert audited(services) == ("status", "failure")


async def test_a_change_forbidden_by_the_clusters_rbac_is_refused_in_korean_quoting_the_cluster(
    as_bob: Services,
    sandbox: SandboxCluster,
) -> None:
    before = shapes(sandbox.store)
    approver = Approver()

    outcome = await handle(as_bob, "scale api 3 -n staging", approver, lang="ko")

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "forbidden")
    assert seen(outcome.result) == [
        '"staging" 네임스페이스의 앱(디플로이먼트) "api" 스케일 조정 권한이 없습니다 (클러스터 응답: '
        'deployments.apps "api" is forbidden: User "bob" cannot patch resource "deployments/scale" in '
        'API group "apps" in the namespace "staging")'
    ]
    assert approver.previews == []
    assert shapes(sandbox.store) == before


async def test_a_read_forbidden_by_the_clusters_rbac_is_refused_in_korean(as_bob: Services) -> None:
    outcome = await handle(as_bob, "production checkout 상태 알려줘")

    assert outcome.plan is not None and outcome.plan.lang == "ko"
    assert outcome.result.summary.startswith(
        '"production" 네임스페이스의 앱(디플로이먼트) "checkout" 조회 권한이 없습니다 (클러스터 응답: '
    )


async def test_a_server_error_is_unavailable_in_korean(
    services: Services,
    sandbox: SandboxCluster,
) -> None:
    sandbox.faults.error(500, verb="get", times=1)

    outcome = await handle(services, "nginx 상태 알려줘")

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "unavailable")
    assert seen(outcome.result) == [
        f'클러스터 "{SANDBOX}"가 "default" 네임스페이스의 앱(디플로이먼트) "nginx" 조회에 실패했습니다 '
        "(HTTP 500, 클러스터 응답: Internal error occurred: injected fault (HTTP 500))"
    ]


async def test_a_throttled_change_says_in_korean_when_to_try_again(
    services: Services,
    sandbox: SandboxCluster,
) -> None:
    before = shapes(sandbox.store)

    async def throttle() -> None:
        sandbox.faults.throttle(retry_after=7, times=1)

    outcome = await handle(services, "nginx 4개로 늘려줘", Approver(then=throttle))

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "rate_limited")
    assert seen(outcome.result) == [
        f'클러스터 "{SANDBOX}"에 요청이 너무 많아 잠시 거절되고 있습니다',
        "7초 뒤에 다시 시도해 주세요",
    ]
    assert outcome.result.data["hint"] == "7초 뒤에 다시 시도해 주세요"
    assert shapes(sandbox.store) == before


async def test_a_rollback_that_keeps_losing_the_race_is_a_conflict_in_korean(
    services: Services,
    sandbox: SandboxCluster,
) -> None:
    await english._second_revision(services, sandbox)

    outcome = await handle(services, "nginx 롤백해줘", race_updates(services, sandbox, writes=2))

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "conflict")
    assert seen(outcome.result) == [
        '"default" 네임스페이스의 앱(디플로이먼트) "nginx"을(를) 다른 사람이 동시에 변경했습니다',
        "다시 시도해 주세요",
    ]


async def test_a_change_the_cluster_refuses_as_invalid_is_refused_in_korean(
    services: Services,
    sandbox: SandboxCluster,
) -> None:
    before = shapes(sandbox.store)

    async def refuse_the_write() -> None:
        sandbox.faults.error(422, verb="patch", times=1)

    outcome = await handle(services, "nginx 재시작해줘", Approver(then=refuse_the_write))

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "invalid")
    assert seen(outcome.result) == [
        '클러스터가 "default" 네임스페이스의 앱(디플로이먼트) "nginx" 변경 요청을 거부했습니다: '
        "injected by the sandbox fault table"
    ]
    assert shapes(sandbox.store) == before


@pytest.fixture
async def impatient(
    services: Services,
    kubeconfig_path: Path,
    tmp_path: Path,
) -> AsyncIterator[Services]:
    """The same cluster, with a client that waits half a second for an answer."""
    settings = Settings(
        kube=KubeSettings(kubeconfig=kubeconfig_path, context=SANDBOX, request_timeout_seconds=0.5),
        storage=StorageSettings(database_url=f"sqlite:///{tmp_path / 'impatient.db'}"),
        llm=LLMSettings(providers=""),
    )
    built = await build_services(settings)
    try:
        yield built
    finally:
        await built.close()


async def test_a_cluster_that_does_not_answer_in_time_is_timed_out_in_korean(
    impatient: Services, sandbox: SandboxCluster
) -> None:
    await samples_ready(sandbox)
    sandbox.faults.latency(3.0, verb="get", path_prefix="/apis/apps/v1/namespaces/default/deployments/nginx")

    outcome = await handle(impatient, "nginx 상태 알려줘")

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "timed_out")
    assert seen(outcome.result) == [f'클러스터 "{SANDBOX}"가 0.5초 안에 응답하지 않았습니다']


# ---- the request itself ---------------------------------------------------------------------------


async def test_a_usage_error_of_a_korean_request_names_the_problem_and_the_usage_in_korean(
    services: Services,
    sandbox: SandboxCluster,
) -> None:
    before = shapes(sandbox.store)

    outcome = await handle(services, "scale nginx -1", lang="ko")

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "usage")
    assert seen(outcome.result) == [
        "replicas: 0 이상이어야 합니다",
        "사용법: `scale <name> <replicas> [-n <namespace>]`",
    ]
    assert outcome.result.data["hint"] == "사용법: scale <name> <replicas> [-n <namespace>]"
    assert shapes(sandbox.store) == before


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("scale nginx 3 --bogus 1", "알 수 없는 옵션: --bogus"),
        ("logs nginx --lines", "--lines 다음에 값이 필요합니다"),
        ("scale", "name이(가) 빠졌습니다; replicas이(가) 빠졌습니다"),
        (
            "restart nginx -n all",
            "restart 명령은 네임스페이스 하나에서만 동작합니다. 전체 네임스페이스('*' / -n all)는 "
            "목록 명령에만 쓸 수 있습니다",
        ),
    ],
)
async def test_each_kind_of_usage_problem_is_said_in_korean(
    services: Services,
    text: str,
    summary: str,
) -> None:
    outcome = await handle(services, text, lang="ko")

    assert (outcome.result.status, outcome.result.summary) == ("error", summary)


async def test_an_approval_needed_with_nobody_to_ask_is_refused_in_korean(
    services: Services,
    sandbox: SandboxCluster,
) -> None:
    before = shapes(sandbox.store)

    outcome = await services.pipeline().handle(Request(actor=ME, text="nginx 재시작해줘"), None)

    assert outcome.result.data["error"] == "forbidden"
    assert outcome.result.summary.startswith("restart 명령은 승인이 필요합니다")
    assert seen(outcome.result)[1:] == ["승인을 받을 수 있는 곳(Slack, 또는 확인을 묻는 콘솔)에서 요청하세요"]
    assert shapes(sandbox.store) == before


async def test_english_requests_keep_the_gateways_own_words(
    services: Services,
    sandbox: SandboxCluster,
) -> None:
    sandbox.faults.throttle(retry_after=3, times=1)

    outcome = await handle(services, "status nginx")

    assert seen(outcome.result) == [f'the cluster "{SANDBOX}" is rate-limiting us', "try again in 3s"]
