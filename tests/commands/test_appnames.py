"""The app names the planner is told about: one list call per namespace, cached, never an error."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from klepaas.commands.appnames import ClusterAppNames
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.gateway import KubernetesGateway
from klepaas.k8s.sandbox.cluster import SandboxCluster
from tests.k8s.gateway_helpers import RequestSpy, clusters_for

pytestmark = pytest.mark.sandbox(samples=True)

SCOPE = ["default", "staging", "production"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def clusters(kubeconfig_path: Path) -> AsyncIterator[KubeClusters]:
    made = clusters_for(kubeconfig_path)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def spy(clusters: KubeClusters) -> RequestSpy:
    gateway = clusters.get()
    assert isinstance(gateway, KubernetesGateway)
    return RequestSpy(gateway)


def deployment_lists(spy: RequestSpy) -> list[str]:
    return [
        path for method, path, _query in spy.requests if method == "GET" and path.endswith("/deployments")
    ]


async def test_the_names_of_each_namespace_come_from_one_list_call_in_the_order_asked(
    clusters: KubeClusters, spy: RequestSpy
) -> None:
    names = await ClusterAppNames(clusters).names(None, SCOPE)

    assert names == ["nginx", "api", "web", "checkout", "payment"]
    assert sorted(deployment_lists(spy)) == sorted(
        f"/apis/apps/v1/namespaces/{ns}/deployments" for ns in SCOPE
    )
    assert all(query["limit"] == ["200"] for _m, _p, query in spy.requests)


async def test_names_are_reused_until_they_are_thirty_seconds_old(
    clusters: KubeClusters, spy: RequestSpy, sandbox: SandboxCluster
) -> None:
    clock = Clock()
    source = ClusterAppNames(clusters, clock=clock)
    await source.names(None, ["staging"])
    clock.now += 29.0
    assert await source.names("klepaas-sandbox", ["staging"]) == ["api", "web"]
    assert len(deployment_lists(spy)) == 1

    clock.now += 2.0
    await source.names(None, ["staging"])
    assert len(deployment_lists(spy)) == 2


async def test_concurrent_requests_for_the_same_namespace_share_one_call(
    clusters: KubeClusters, spy: RequestSpy
) -> None:
    source = ClusterAppNames(clusters)
    answers = await asyncio.gather(*(source.names(None, ["production"]) for _ in range(5)))

    assert answers == [["checkout", "payment"]] * 5
    assert len(deployment_lists(spy)) == 1


async def test_the_list_is_capped(clusters: KubeClusters) -> None:
    names = await ClusterAppNames(clusters, limit=3).names(None, SCOPE)
    assert names == ["nginx", "api", "web"]


async def test_a_cluster_that_fails_gives_no_names_and_is_not_asked_again_at_once(
    clusters: KubeClusters, spy: RequestSpy, sandbox: SandboxCluster
) -> None:
    sandbox.faults.error(503, verb="list")
    clock = Clock()
    source = ClusterAppNames(clusters, clock=clock)

    assert await source.names(None, ["staging"]) == []
    assert await source.names(None, ["staging"]) == []
    assert len(deployment_lists(spy)) == 1

    sandbox.faults.clear()
    clock.now += 6.0
    assert await source.names(None, ["staging"]) == ["api", "web"]


async def test_a_slow_cluster_is_planned_around_after_the_time_allowed(
    clusters: KubeClusters, sandbox: SandboxCluster
) -> None:
    sandbox.faults.latency(1.0, verb="list", times=1)
    source = ClusterAppNames(clusters, timeout=0.2)
    started = time.monotonic()

    assert await source.names(None, ["staging"]) == []
    assert time.monotonic() - started < 0.9


async def test_a_cluster_that_is_not_listening_gives_no_names(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "gone"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        f"clusters: [{{name: gone, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: u}}]\n"
    )
    clusters = clusters_for(config)
    try:
        assert await ClusterAppNames(clusters).names(None, SCOPE) == []
        assert await ClusterAppNames(clusters).names("no-such-cluster", SCOPE) == []
    finally:
        clusters.close()
