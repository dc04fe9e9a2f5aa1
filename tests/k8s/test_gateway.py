"""The Kubernetes gateway against the sandbox API server, through the real kubernetes client."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from klepaas.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    Invalid,
    RateLimited,
    TimedOut,
    Unauthorized,
    Unavailable,
)
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.errors import ResourceExpired, ResourceNotFound
from klepaas.k8s.gateway import Api, KubernetesGateway
from klepaas.k8s.models import Deployment, WatchEvent
from klepaas.k8s.sandbox.auth import Rule
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from tests.k8s.gateway_helpers import RequestSpy, clusters_for, samples_ready, wait_for

pytestmark = pytest.mark.sandbox(samples=True)


@pytest.fixture
async def clusters(kubeconfig_path: Path) -> AsyncIterator[KubeClusters]:
    made = clusters_for(kubeconfig_path, list_page_size=10, request_timeout_seconds=2.0)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
async def gateway(clusters: KubeClusters, sandbox: SandboxCluster) -> KubernetesGateway:
    await samples_ready(sandbox)
    gw = clusters.get()
    assert isinstance(gw, KubernetesGateway)
    return gw


def _deployment(name: str, image: str = "nginx:1.25", replicas: int = 1) -> dict[str, object]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": image}]},
            },
        },
    }


async def test_a_list_is_fetched_in_pages_of_the_configured_size_and_returns_every_item(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    spy = RequestSpy(gateway)
    pods = await gateway.list_pods(None)

    expected = sorted(p["metadata"]["name"] for p in sandbox.store.list(BY_KIND["Pod"]))
    assert sorted(p.name for p in pods.items) == expected
    assert pods.complete
    pages = spy.paths("/api/v1/pods")
    assert len(pages) == 2  # 14 sample pods in pages of 10
    assert pages[0][2]["limit"] == ["10"] and "continue" not in pages[0][2]
    assert pages[1][2]["limit"] == ["10"] and pages[1][2]["continue"]


async def test_a_list_with_a_limit_stops_early_and_says_how_many_were_left(
    gateway: KubernetesGateway,
) -> None:
    pods = await gateway.list_pods(None, limit=5)

    assert len(pods.items) == 5
    assert pods.remaining == 9
    assert not pods.complete


async def test_lists_take_label_and_field_selectors(gateway: KubernetesGateway) -> None:
    staging = await gateway.list_deployments("staging", label_selector="tier=frontend")
    by_name = await gateway.list_deployments(None, field_selector="metadata.name=api")

    assert [d.name for d in staging.items] == ["web"]
    assert [(d.namespace, d.name) for d in by_name.items] == [("staging", "api")]


async def test_reads_return_typed_objects(gateway: KubernetesGateway) -> None:
    deployment = await gateway.get_deployment("default", "nginx")
    service = await gateway.get_service("staging", "api")
    ingresses = await gateway.list_ingresses("staging")

    assert isinstance(deployment, Deployment)
    assert (deployment.replicas, deployment.images, deployment.revision) == (2, ["nginx:1.25"], 1)
    assert deployment.template.containers[0].resources.memory_request == 64 * 2**20
    assert [(p.port, p.target_port) for p in service.ports] == [(80, "http")]
    assert ingresses.items[0].tls_hosts == ("web.staging.example.com",)


async def test_a_misspelled_deployment_is_not_found_with_a_suggestion(gateway: KubernetesGateway) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        await gateway.get_deployment("default", "ngnix")

    assert str(caught.value) == 'deployment "ngnix" not found in namespace "default" — did you mean "nginx"?'
    assert caught.value.suggestions == ["nginx"]
    assert caught.value.__cause__ is not None  # the client's exception stays in the chain


async def test_a_misspelled_namespace_is_reported_instead_of_the_object(gateway: KubernetesGateway) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        await gateway.get_deployment("stagin", "api")

    assert (caught.value.kind, caught.value.name, caught.value.suggestions) == (
        "namespace",
        "stagin",
        ["staging"],
    )


async def test_a_forbidden_request_names_what_was_refused(sandbox: SandboxCluster, tmp_path: Path) -> None:
    token = sandbox.auth.add_user("bob")
    sandbox.auth.bind_role("bob", "view", namespaces=["staging"])
    config = sandbox.write_kubeconfig(tmp_path / "bob", token=token, user="bob")
    clusters = clusters_for(config)
    try:
        gw = clusters.get()
        assert [d.name for d in (await gw.list_deployments("staging")).items] == ["api", "web"]
        with pytest.raises(Forbidden) as caught:
            await gw.patch_scale("staging", "api", 3)
    finally:
        clusters.close()

    assert str(caught.value).startswith('not allowed to scale deployment "api" in namespace "staging": ')
    assert 'User "bob" cannot patch resource "deployments/scale"' in str(caught.value)


async def test_an_unknown_token_is_unauthorized(sandbox: SandboxCluster, tmp_path: Path) -> None:
    clusters = clusters_for(sandbox.write_kubeconfig(tmp_path / "bad", token="nope"))
    try:
        with pytest.raises(Unauthorized, match="did not accept our credentials"):
            await clusters.get().list_namespaces()
    finally:
        clusters.close()


async def test_a_server_error_is_unavailable_and_shows_no_response_body(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    sandbox.faults.error(500, verb="list", times=1)

    with pytest.raises(Unavailable) as caught:
        await gateway.list_services("default")

    message = str(caught.value)
    assert message.startswith('the cluster "klepaas-sandbox" failed to list services in namespace "default"')
    assert "injected by the sandbox fault table" not in message  # Status details stay out
    assert '"kind"' not in message and "Status" not in message


async def test_a_throttled_request_is_rate_limited_with_the_retry_after(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    sandbox.faults.throttle(retry_after=7, times=1)

    with pytest.raises(RateLimited) as caught:
        await gateway.get_deployment("default", "nginx")

    assert caught.value.retry_after == 7.0


async def test_a_slow_answer_times_out_after_the_configured_timeout(
    sandbox: SandboxCluster, kubeconfig_path: Path
) -> None:
    clusters = clusters_for(kubeconfig_path, request_timeout_seconds=0.3)
    sandbox.faults.latency(3.0, verb="get", times=1)
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        with pytest.raises(TimedOut):
            await clusters.get().get_deployment("default", "nginx")
        assert loop.time() - started < 2.0  # no read retries multiplying the timeout
    finally:
        clusters.close()


async def test_a_cluster_that_is_not_listening_is_unavailable(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        f"clusters: [{{name: gone, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: u}}]\n"
    )
    clusters = clusters_for(config)
    try:
        with pytest.raises(Unavailable, match='cannot connect to the cluster "gone": connection refused'):
            await clusters.get().list_namespaces()
    finally:
        clusters.close()


async def test_a_dry_run_scale_answers_the_new_replicas_and_changes_nothing(
    gateway: KubernetesGateway,
) -> None:
    preview = await gateway.patch_scale("default", "nginx", 5, dry_run=True)
    after = await gateway.read_scale("default", "nginx")

    assert (preview.replicas, after.replicas) == (5, 2)


async def test_creating_twice_is_already_exists_and_a_dry_run_creates_nothing(
    gateway: KubernetesGateway,
) -> None:
    dry = await gateway.create_deployment("default", _deployment("hello"), dry_run=True)
    with pytest.raises(ResourceNotFound):
        await gateway.get_deployment("default", "hello")
    await gateway.create_deployment("default", _deployment("hello"))
    with pytest.raises(AlreadyExists, match='deployment "hello" in namespace "default" already exists'):
        await gateway.create_deployment("default", _deployment("hello"))

    assert dry.name == "hello"


async def test_creating_in_a_missing_namespace_names_the_namespace(gateway: KubernetesGateway) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        await gateway.create_deployment("stagingg", _deployment("hello"))

    assert (caught.value.kind, caught.value.name, caught.value.suggestions) == (
        "namespace",
        "stagingg",
        ["staging"],
    )


async def test_an_invalid_patch_is_invalid_with_the_field_named(gateway: KubernetesGateway) -> None:
    with pytest.raises(Invalid) as caught:
        await gateway.patch_deployment("default", "nginx", {"spec": {"replicas": -1}})

    assert "spec.replicas" in str(caught.value)


async def test_a_strategic_merge_patch_changes_one_container_image(gateway: KubernetesGateway) -> None:
    patched = await gateway.patch_deployment(
        "default",
        "nginx",
        {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}},
    )

    assert patched.images == ["nginx:1.27"]
    assert patched.template.containers[0].ports[0].port == 80  # the rest of the container is kept


async def test_pod_logs_return_the_last_lines(gateway: KubernetesGateway) -> None:
    pod = (await gateway.list_pods("default", label_selector="app=nginx")).items[0]

    text = await gateway.pod_logs("default", pod.name, tail_lines=2)

    assert len(text.splitlines()) == 2


async def test_rollback_puts_an_older_replicaset_template_back(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    first = (await gateway.list_replicasets("default", label_selector="app=nginx")).items[0]
    await gateway.patch_deployment(
        "default",
        "nginx",
        {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}},
    )
    await samples_ready(sandbox)

    dry = await gateway.rollback_deployment("default", "nginx", to_replicaset=first.name, dry_run=True)
    assert (await gateway.get_deployment("default", "nginx")).images == ["nginx:1.27"]
    rolled = await gateway.rollback_deployment(
        "default", "nginx", to_replicaset=first.name, change_cause="rollback in a test"
    )

    assert dry.images == ["nginx:1.25"]
    assert rolled.images == ["nginx:1.25"]
    assert rolled.change_cause == "rollback in a test"
    assert "pod-template-hash" not in rolled.template.labels


async def test_an_identity_gateway_acts_as_that_person_through_impersonation(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    sandbox.auth.bind_role("jane", "view", namespaces=["staging"])
    sandbox.auth.grant(
        "deployers",
        Rule(("patch", "get"), ("deployments", "deployments/scale"), ("apps",), namespaces=("staging",)),
        kind="Group",
    )
    jane = gateway.with_identity("jane", ["sre", "deployers"])
    spy = RequestSpy(jane)

    scaled = await jane.patch_scale("staging", "api", 3)
    with pytest.raises(Forbidden, match='User "jane" cannot list resource "pods"'):
        await jane.list_pods("production")
    with pytest.raises(Forbidden):  # without the deployers group she may not
        await gateway.with_identity("jane", ["sre"]).patch_scale("staging", "api", 4)

    assert scaled.replicas == 3
    assert jane.identity is not None and jane.identity.groups == ("sre", "deployers")
    assert spy.requests  # the identity gateway's own requests, through the shared connection pool
    assert (await gateway.list_pods("production")).items  # the base gateway is unchanged


async def test_a_watch_yields_changes_after_the_resource_version_it_started_from(
    gateway: KubernetesGateway,
) -> None:
    start = await gateway.get_deployment("default", "nginx")
    stream = gateway.watch_deployments(
        "default", name="nginx", resource_version=start.meta.resource_version, timeout_seconds=5
    )
    await gateway.patch_scale("default", "nginx", 3)

    event: WatchEvent[Deployment] = await asyncio.wait_for(anext(stream), 5)
    await stream.aclose()  # type: ignore[attr-defined]

    assert event.type == "MODIFIED"
    assert event.object is not None and event.object.replicas == 3
    assert int(event.resource_version) > int(start.meta.resource_version)


@pytest.mark.sandbox(samples=True, history_size=5)
async def test_a_watch_from_a_version_too_old_to_resume_raises_resource_expired(
    gateway: KubernetesGateway,
) -> None:
    stream = gateway.watch_pods("default", resource_version="1", timeout_seconds=5)

    with pytest.raises(ResourceExpired):
        await asyncio.wait_for(anext(stream), 5)


def _race(gateway: KubernetesGateway, times: int) -> list[int]:
    """Make another writer scale nginx between each of the gateway's reads and replaces."""
    original = gateway._call
    raced: list[int] = []

    async def racing_call(api: Api, method: str, *args: Any, **kwargs: Any) -> Any:
        if method == "replace_namespaced_deployment" and len(raced) < times:
            raced.append(3 + len(raced))
            await original(
                "apps",
                "patch_namespaced_deployment_scale",
                "nginx",
                "default",
                {"spec": {"replicas": raced[-1]}},
                _content_type="application/merge-patch+json",
            )
        return await original(api, method, *args, **kwargs)

    gateway._call = racing_call  # type: ignore[method-assign]
    return raced


async def test_a_rollback_that_races_another_writer_once_is_retried_on_fresh_data(
    gateway: KubernetesGateway,
) -> None:
    rs = (await gateway.list_replicasets("default", label_selector="app=nginx")).items[0]
    raced = _race(gateway, times=1)

    rolled = await gateway.rollback_deployment("default", "nginx", to_replicaset=rs.name)

    assert raced == [3]
    assert rolled.replicas == 3  # the other writer's change is kept


async def test_a_rollback_that_keeps_losing_the_race_is_a_conflict(gateway: KubernetesGateway) -> None:
    rs = (await gateway.list_replicasets("default", label_selector="app=nginx")).items[0]
    _race(gateway, times=10)

    with pytest.raises(Conflict, match="changed by someone else"):
        await gateway.rollback_deployment("default", "nginx", to_replicaset=rs.name)


async def test_a_deployment_comes_with_its_pods_and_once_seen_they_are_listed_alongside(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    spy = RequestSpy(gateway)
    first, first_pods = await gateway.get_deployment_pods("default", "nginx")
    second, second_pods = await gateway.get_deployment_pods("default", "nginx")

    assert first.label_selector == second.label_selector == "app=nginx"
    assert sorted(p.name for p in first_pods.items) == sorted(p.name for p in second_pods.items)
    assert len(second_pods.items) == first.replicas
    pod_lists = [query["labelSelector"] for _, _, query in spy.paths("/pods")]
    assert pod_lists == [["app=nginx"], ["app=nginx"]]  # one list each time, never more


async def test_a_deployment_replaced_with_another_selector_gets_the_pods_of_the_new_one(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    await gateway.create_deployment("default", _deployment("hello", replicas=2))
    await wait_for(lambda: len(sandbox.store.list(BY_KIND["Pod"], "default")) >= 2, what="hello's pods")
    old, _ = await gateway.get_deployment_pods("default", "hello")
    sandbox.store.delete(BY_KIND["Deployment"], "default", "hello")
    replacement = _deployment("hello", replicas=1)
    labels = {"run": "hello-v2"}
    replacement["spec"] = {**replacement["spec"], "selector": {"matchLabels": labels}}  # type: ignore[dict-item]
    replacement["spec"]["template"]["metadata"] = {"labels": labels}  # type: ignore[index]
    await gateway.create_deployment("default", replacement)
    await wait_for(
        lambda: any(
            (p["metadata"].get("labels") or {}).get("run") == "hello-v2"
            for p in sandbox.store.list(BY_KIND["Pod"], "default")
        ),
        what="the replacement's pod",
    )

    new, pods = await gateway.get_deployment_pods("default", "hello")

    assert (old.label_selector, new.label_selector) == ("app=hello", "run=hello-v2")
    assert pods.items and all(p.meta.labels.get("run") == "hello-v2" for p in pods.items)


async def test_a_deployment_gone_since_it_was_seen_is_not_found(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    await gateway.create_deployment("default", _deployment("hello"))
    await gateway.get_deployment_pods("default", "hello")  # its selector is known from now on
    sandbox.store.delete(BY_KIND["Deployment"], "default", "hello")

    with pytest.raises(ResourceNotFound, match='deployment "hello" not found in namespace "default"'):
        await gateway.get_deployment_pods("default", "hello")
