"""Every way a request can fail against a cluster, through the whole pipeline with the real commands,
the real kubernetes client and the sandbox: each says all a person needs in one message, and
nothing in the cluster changes."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Outcome, Request
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.commands.services import Services, build_services
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.faults import Fault
from klepaas.k8s.sandbox.store import BY_KIND, Store
from tests.commands.conftest import sandbox_settings
from tests.k8s.gateway_helpers import clusters_for, samples_ready, wait_for

pytestmark = pytest.mark.sandbox(samples=True)

ME = Actor(id="U-me", source="console", name="jane")
DEPLOYMENT = BY_KIND["Deployment"]


@dataclass
class Approver:
    """Approves (or not), remembering what it was shown; `then` runs after it answered, just
    before the command runs: the moment to break the cluster for the real request."""

    yes: bool = True
    previews: list[str] = field(default_factory=list)
    then: Callable[[], Awaitable[None]] | None = None

    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        self.previews.append(preview.summary if preview else "")
        if self.then is not None:
            await self.then()
        return self.yes


def seen(result: Result) -> list[str]:
    """What a person reads: the summary, then each line of text under it."""
    lines = [result.summary]
    for block in result.blocks:
        text = getattr(block, "text", None)
        if isinstance(text, str):
            lines.append(text)
    return lines


def shapes(store: Store) -> dict[tuple[str, str], Any]:
    """Every deployment's generation, spec and annotations: what a change would touch."""
    return {
        (d["metadata"]["namespace"], d["metadata"]["name"]): (
            d["metadata"].get("generation"),
            d["spec"],
            d["metadata"].get("annotations") or {},
        )
        for d in store.list(DEPLOYMENT)
    }


@pytest.fixture
async def services(sandbox: SandboxCluster, kubeconfig_path: Path, tmp_path: Path) -> AsyncIterator[Services]:
    await samples_ready(sandbox)
    built = await build_services(sandbox_settings(kubeconfig_path, tmp_path / "audit.db"))
    try:
        yield built
    finally:
        await built.close()


async def handle(services: Services, text: str, approver: Approver | None = None, **request: Any) -> Outcome:
    return await services.pipeline().handle(Request(actor=ME, text=text, **request), approver or Approver())


def audited(services: Services) -> tuple[str | None, str]:
    row = services.storage.audit.recent(1)[0]
    return row.command, row.outcome


# ---- names that do not exist -------------------------------------------------------------------


async def test_an_unknown_app_is_not_found_with_the_app_it_probably_meant(
    services: Services, sandbox: SandboxCluster
) -> None:
    before = shapes(sandbox.store)
    approver = Approver()

    outcome = await handle(services, "restart ngnix", approver)

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "not_found")
    assert seen(outcome.result) == [
        'deployment "ngnix" not found in namespace "default"',
        'did you mean "nginx"?',
    ]
    assert approver.previews == []  # nobody is asked to approve a change to nothing
    assert shapes(sandbox.store) == before
    assert audited(services) == ("restart", "failure")


async def test_an_unknown_app_is_not_found_in_korean_for_a_korean_speaker(
    services: Services, sandbox: SandboxCluster
) -> None:
    before = shapes(sandbox.store)

    outcome = await handle(services, "scale ngnix 3", lang="ko")

    assert seen(outcome.result) == [
        '"default" 네임스페이스에 앱(디플로이먼트) "ngnix"이(가) 없습니다',
        '"nginx"을(를) 찾으셨나요?',
    ]
    assert shapes(sandbox.store) == before


async def test_an_unknown_namespace_is_named_with_the_namespace_it_probably_meant(
    services: Services, sandbox: SandboxCluster
) -> None:
    before = shapes(sandbox.store)

    outcome = await handle(services, "scale api 3 -n stagin")

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "not_found")
    assert seen(outcome.result) == ['namespace "stagin" not found', 'did you mean "staging"?']
    assert shapes(sandbox.store) == before


async def test_listing_an_unknown_namespace_says_it_does_not_exist_rather_than_listing_nothing(
    services: Services,
) -> None:
    outcome = await handle(services, "list pods -n stagin")

    assert seen(outcome.result) == ['namespace "stagin" not found', 'did you mean "staging"?']


async def test_listing_an_empty_namespace_that_exists_is_an_empty_list(
    services: Services, sandbox: SandboxCluster
) -> None:
    outcome = await handle(services, "list pods -n kube-public")

    assert (outcome.result.status, outcome.result.summary) == ("success", "0 pods in kube-public")


# ---- arguments the cluster is never asked about ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        (
            "scale nginx -1",
            [
                "replicas: Input should be greater than or equal to 0",
                "Usage: `scale <name> <replicas> [-n <namespace>]`",
            ],
        ),
        ("scale nginx 51", ["51 pods is more than the allowed 50", "the limit is KLEPAAS_MAX_REPLICAS"]),
    ],
)
async def test_a_replica_count_below_zero_or_above_the_limit_is_refused(
    services: Services, sandbox: SandboxCluster, text: str, lines: list[str]
) -> None:
    before = shapes(sandbox.store)
    approver = Approver()

    outcome = await handle(services, text, approver)

    assert outcome.result.status == "error"
    assert seen(outcome.result) == lines
    assert approver.previews == []
    assert shapes(sandbox.store) == before
    assert audited(services) == ("scale", "failure")


async def test_a_replica_count_above_the_limit_said_in_korean_is_refused_in_korean(
    services: Services, sandbox: SandboxCluster
) -> None:
    before = shapes(sandbox.store)

    outcome = await handle(services, "nginx 파드 100개로 늘려줘")

    assert outcome.plan is not None and outcome.plan.args == {"name": "nginx", "replicas": 100}
    assert seen(outcome.result) == [
        "파드 100개는 허용된 최대 50개보다 많습니다",
        "상한은 KLEPAAS_MAX_REPLICAS 설정입니다",
    ]
    assert shapes(sandbox.store) == before


NAME_RULE = (
    'is not a valid name: use lower-case letters, digits, "-" and ".", '
    "starting and ending with a letter or digit"
)


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("restart Nginx_App!", '"nginx_app!"'),  # prose-like: the planner had a go, and must not shorten it
        ("restart nginx_app -n default", '"nginx_app"'),  # with an option: the grammar alone
    ],
)
async def test_a_name_kubernetes_would_refuse_is_refused_and_never_read_as_another_app(
    services: Services, sandbox: SandboxCluster, text: str, typed: str
) -> None:
    before = shapes(sandbox.store)
    approver = Approver()

    outcome = await handle(services, text, approver)

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "usage")
    assert seen(outcome.result) == [f"name: {typed} {NAME_RULE}", "Usage: `restart <name> [-n <namespace>]`"]
    assert approver.previews == []
    assert shapes(sandbox.store) == before


async def test_a_name_kubernetes_would_refuse_in_korean_free_text_gets_a_question_not_another_app(
    services: Services, sandbox: SandboxCluster
) -> None:
    before = shapes(sandbox.store)
    approver = Approver()

    outcome = await handle(services, "Nginx_App 재시작해줘", approver)

    assert outcome.plan is None and outcome.clarify is not None
    assert outcome.clarify.question == (
        "`nginx_app`은(는) 쿠버네티스 이름이 될 수 없어요 (소문자, 숫자, `-`만 가능). "
        "앱 이름을 정확히 알려주세요."
    )
    assert approver.previews == []
    assert shapes(sandbox.store) == before


# ---- the cluster says no -------------------------------------------------------------------------


@pytest.fixture
async def as_bob(services: Services, sandbox: SandboxCluster, tmp_path: Path) -> AsyncIterator[Services]:
    """The same services, acting as bob (view in staging, nothing else) through impersonation."""
    sandbox.auth.add_user("bob")
    sandbox.auth.bind_role("bob", "view", namespaces=["staging"])
    admin = services.clusters.get()
    bobs = KubeClusters.from_gateways({admin.cluster: admin.with_identity("bob")})
    built = await build_services(services.settings, clusters=bobs, storage=services.storage)
    yield built
    bobs.close()


async def test_a_change_the_user_has_no_rights_for_is_forbidden_naming_what_was_refused(
    as_bob: Services, sandbox: SandboxCluster
) -> None:
    before = shapes(sandbox.store)
    approver = Approver()

    outcome = await handle(as_bob, "scale api 3 -n staging", approver)

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "forbidden")
    assert seen(outcome.result) == [
        'not allowed to scale deployment "api" in namespace "staging": deployments.apps "api" is '
        'forbidden: User "bob" cannot patch resource "deployments/scale" in API group "apps" in the '
        'namespace "staging"'
    ]
    assert approver.previews == []  # the dry run was refused already: nobody is asked
    assert shapes(sandbox.store) == before
    assert audited(as_bob) == ("scale", "failure")


async def test_a_read_outside_the_users_namespaces_is_forbidden(as_bob: Services) -> None:
    outcome = await handle(as_bob, "status checkout -n production")

    assert seen(outcome.result) == [
        'not allowed to get deployment "checkout" in namespace "production": deployments.apps '
        '"checkout" is forbidden: User "bob" cannot get resource "deployments" in API group "apps" in '
        'the namespace "production"'
    ]


# ---- another writer at the same time --------------------------------------------------------------


async def _second_revision(services: Services, sandbox: SandboxCluster) -> None:
    gateway = services.clusters.get()
    await gateway.patch_deployment(
        "default",
        "nginx",
        {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}},
    )
    await samples_ready(sandbox)


def race_updates(services: Services, sandbox: SandboxCluster, *, writes: int) -> Approver:
    """After approval, hold each of the next two updates (PUTs) at the server for a moment, and
    while the first `writes` of them are held, let another writer scale the deployment: the held
    update then carries a stale resourceVersion."""
    gateway = services.clusters.get()
    writers: list[asyncio.Task[None]] = []

    async def other_writer(held: Fault) -> None:
        for index in range(writes):

            def update_held(left: int = 1 - index) -> bool:  # the fault counts down as it holds one
                return (held.times or 0) <= left

            await wait_for(update_held, what="an update held at the server")
            await gateway.patch_scale("default", "nginx", 3 + index)

    async def race() -> None:
        held = sandbox.faults.add(Fault("latency", verb="update", delay=0.5, times=2))
        writers.append(asyncio.get_running_loop().create_task(other_writer(held)))

    return Approver(then=race)


async def test_a_rollback_that_races_another_writer_is_retried_and_keeps_the_other_change(
    services: Services, sandbox: SandboxCluster
) -> None:
    await _second_revision(services, sandbox)

    outcome = await handle(services, "rollback nginx", race_updates(services, sandbox, writes=1))

    assert outcome.ok, outcome.result.summary
    assert sandbox.faults.active == []  # both updates were sent: the lost one and its retry
    deployment = sandbox.store.get(DEPLOYMENT, "default", "nginx")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert deployment["spec"]["replicas"] == 3  # the other writer's scale survived the retry


async def test_a_rollback_that_keeps_losing_the_race_is_a_conflict_and_rolls_nothing_back(
    services: Services, sandbox: SandboxCluster
) -> None:
    await _second_revision(services, sandbox)

    outcome = await handle(services, "rollback nginx", race_updates(services, sandbox, writes=2))

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "conflict")
    assert sandbox.faults.active == []  # two updates, both lost; no third try
    assert seen(outcome.result) == [
        'deployment "nginx" in namespace "default" was changed by someone else at the same time',
        "try again",
    ]
    deployment = sandbox.store.get(DEPLOYMENT, "default", "nginx")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert deployment["spec"]["replicas"] == 4  # only the other writer's changes
    assert audited(services) == ("rollback", "failure")


# ---- the cluster is down or failing -------------------------------------------------------------


@pytest.mark.parametrize("text", ["status nginx", "restart nginx"])  # Korean: test_korean_errors.py
async def test_a_cluster_that_went_away_is_unavailable_at_once(
    services: Services, sandbox: SandboxCluster, text: str
) -> None:
    await handle(services, "status nginx")  # connections are open and pooled
    await sandbox.stop()
    started = time.monotonic()

    outcome = await handle(services, text)

    assert time.monotonic() - started < 2.0
    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "unavailable")
    assert seen(outcome.result) == [
        'cannot connect to the cluster "klepaas-sandbox": connection refused',
        "is the API server running and the kubeconfig pointing at it?",
    ]


async def test_a_cluster_that_never_listened_is_unavailable_at_once_and_plans_go_on_without_app_names(
    services: Services, tmp_path: Path
) -> None:
    with socket.socket() as s:  # a port from the OS that nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "gone"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        f"clusters: [{{name: gone, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: u}}]\n"
    )
    gone = clusters_for(config)
    built = await build_services(services.settings, clusters=gone, storage=services.storage)
    started = time.monotonic()
    try:
        planned = await handle(built, "nginx 로그 20줄")
        described = await handle(built, "결제 서버 로그 20줄")
    finally:
        gone.close()

    assert time.monotonic() - started < 2.0
    assert planned.plan is not None and planned.plan.args == {"name": "nginx", "lines": 20}
    assert seen(planned.result) == [
        '클러스터 "gone"에 연결할 수 없습니다: 연결이 거부되었습니다',
        "API 서버가 실행 중인지, kubeconfig가 그 서버를 가리키는지 확인하세요",
    ]
    # Planned without the app names it could not fetch: a question, not a failure.
    assert seen(described.result) == ["어떤 앱인가요? 앱 이름을 알려주세요. 예: `logs payment lines=20`"]


async def test_a_server_error_on_a_read_is_unavailable_without_the_servers_details(
    services: Services, sandbox: SandboxCluster
) -> None:
    sandbox.faults.error(500, verb="get", times=1)

    outcome = await handle(services, "status nginx")

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "unavailable")
    assert seen(outcome.result) == [
        'the cluster "klepaas-sandbox" failed to get deployment "nginx" in namespace "default" (HTTP 500): '
        "Internal error occurred: injected fault (HTTP 500)"
    ]
    assert "injected by the sandbox fault table" not in outcome.result.model_dump_json()


async def test_a_server_error_on_the_approved_change_is_unavailable_and_changes_nothing(
    services: Services, sandbox: SandboxCluster
) -> None:
    before = shapes(sandbox.store)

    async def fail_the_write() -> None:
        sandbox.faults.error(503, verb="patch", times=1)

    outcome = await handle(services, "restart nginx", Approver(then=fail_the_write))

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "unavailable")
    assert seen(outcome.result) == [
        'the cluster "klepaas-sandbox" failed to patch deployment "nginx" in namespace "default" (HTTP 503): '
        "Internal error occurred: injected fault (HTTP 503)"
    ]
    assert shapes(sandbox.store) == before
    assert outcome.rollout is None
    assert audited(services) == ("restart", "failure")


async def test_a_throttled_change_says_when_to_try_again_and_changes_nothing(
    services: Services, sandbox: SandboxCluster
) -> None:
    before = shapes(sandbox.store)

    async def throttle() -> None:
        sandbox.faults.throttle(retry_after=7, times=1)

    outcome = await handle(services, "scale nginx 4", Approver(then=throttle))

    assert (outcome.result.status, outcome.result.data["error"]) == ("error", "rate_limited")
    assert seen(outcome.result) == ['the cluster "klepaas-sandbox" is rate-limiting us', "try again in 7s"]
    assert shapes(sandbox.store) == before
