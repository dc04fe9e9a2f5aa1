"""Lists: label and field selectors, limit/continue pagination, large lists."""

from __future__ import annotations

import time

import pytest
from kubernetes.client import ApiClient

from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.defaults import apply_defaults
from klepaas.k8s.sandbox.store import BY_KIND
from tests.k8s.sandbox.api_helpers import api_error, call, core, raw, service, status_of

SERVICE = BY_KIND["Service"]


def seed_services(sandbox: SandboxCluster, count: int, namespace: str = "default") -> None:
    for i in range(count):
        body = service(f"svc-{i:03d}")
        body["metadata"].update(namespace=namespace, labels={"tier": "web" if i % 2 else "db", "n": str(i)})
        apply_defaults(SERVICE, body, sandbox.store)
        sandbox.store.create(SERVICE, body)


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("tier=web", ["svc-001", "svc-003", "svc-005"]),
        ("tier==db,n!=0", ["svc-002", "svc-004"]),
        ("tier in (web),n notin (1,3)", ["svc-005"]),
        ("n", ["svc-000", "svc-001", "svc-002", "svc-003", "svc-004", "svc-005"]),
        ("!n", ["kubernetes"]),
        ("n>3", ["svc-004", "svc-005"]),
    ],
)
async def test_label_selectors_filter_lists(
    selector: str, expected: list[str], sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    seed_services(sandbox, 6)

    found = await call(core(kube_api).list_namespaced_service, "default", label_selector=selector)

    assert [s.metadata.name for s in found.items] == expected


async def test_field_selectors_filter_by_name_namespace_and_phase(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    c = core(kube_api)
    seed_services(sandbox, 3)

    by_name = await call(c.list_service_for_all_namespaces, field_selector="metadata.name=svc-001")
    not_default = await call(c.list_service_for_all_namespaces, field_selector="metadata.namespace!=default")
    active = await call(c.list_namespace, field_selector="status.phase=Active")

    assert [(s.metadata.namespace, s.metadata.name) for s in by_name.items] == [("default", "svc-001")]
    assert not_default.items == []
    assert {"default", "kube-system"} <= {n.metadata.name for n in active.items}


async def test_pages_follow_continue_tokens_and_count_what_remains(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    c = core(kube_api)
    seed_services(sandbox, 7)

    first = await raw(c.list_namespaced_service, "default", limit=3)
    seed_services(sandbox, 0)
    await call(c.create_namespaced_service, "default", service("zzz-late"))
    second = await raw(c.list_namespaced_service, "default", limit=3, _continue=first["metadata"]["continue"])
    third = await raw(c.list_namespaced_service, "default", limit=3, _continue=second["metadata"]["continue"])

    names = [s["metadata"]["name"] for page in (first, second, third) for s in page["items"]]
    assert names == ["kubernetes", *[f"svc-{i:03d}" for i in range(7)]]  # consistent: no late arrival
    assert first["metadata"]["remainingItemCount"] == 5 and second["metadata"]["remainingItemCount"] == 2
    assert "continue" not in third["metadata"]
    assert first["metadata"]["resourceVersion"] == third["metadata"]["resourceVersion"]


async def test_a_garbled_continue_token_is_a_bad_request(kube_api: ApiClient) -> None:
    error = await api_error(core(kube_api).list_namespaced_service, "default", limit=1, _continue="%%%")

    assert error.status == 400 and status_of(error)["message"].startswith("continue key is not valid")


@pytest.mark.sandbox(history_size=5)
async def test_a_continue_token_older_than_the_history_is_gone(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    c = core(kube_api)
    seed_services(sandbox, 4)
    first = await raw(c.list_namespaced_service, "default", limit=2)
    seed_services(sandbox, 6, namespace="kube-public")

    error = await api_error(
        c.list_namespaced_service, "default", limit=2, _continue=first["metadata"]["continue"]
    )

    assert error.status == 410 and status_of(error)["reason"] == "Expired"
    assert status_of(error)["message"].startswith("The provided continue parameter is too old")


async def test_twenty_thousand_pods_list_in_well_under_a_few_seconds(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    if sandbox.controllers is not None:
        await sandbox.controllers.stop()  # 20,000 pods to reconcile are not what this test measures
    pod_rt = BY_KIND["Pod"]
    for i in range(20_000):
        sandbox.store.create(
            pod_rt,
            {
                "metadata": {"name": f"p-{i:05d}", "namespace": "default", "labels": {"app": "bulk"}},
                "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
                "status": {"phase": "Running"},
            },
        )
    started = time.monotonic()

    listed = await raw(core(kube_api).list_namespaced_pod, "default")

    assert len(listed["items"]) == 20_000 and time.monotonic() - started < 3
