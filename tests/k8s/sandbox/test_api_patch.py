"""PATCH in its three formats, the status subresource and the scale subresource."""

from __future__ import annotations

from kubernetes.client import ApiClient

from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from tests.k8s.sandbox.api_helpers import (
    api_error,
    apps,
    call,
    core,
    deployment,
    ingress,
    networking,
    raw,
    service,
    status_of,
)

SMP = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def two_containers() -> dict:
    return deployment(
        "web",
        containers=[
            {
                "name": "app",
                "image": "web:1",
                "env": [{"name": "MODE", "value": "prod"}],
                "ports": [{"containerPort": 80}],
            },
            {"name": "sidecar", "image": "proxy:1"},
        ],
    )


async def test_strategic_merge_patch_merges_containers_by_name(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", two_containers())

    patched = await raw(
        a.patch_namespaced_deployment,
        "web",
        "default",
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "sidecar", "image": "proxy:2"},
                            {
                                "name": "app",
                                "env": [{"name": "DEBUG", "value": "1"}],
                                "ports": [{"containerPort": 9090, "name": "metrics"}],
                            },
                        ]
                    }
                }
            }
        },
    )

    containers = {c["name"]: c for c in patched["spec"]["template"]["spec"]["containers"]}
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["app", "sidecar"]
    assert containers["sidecar"]["image"] == "proxy:2" and containers["app"]["image"] == "web:1"
    assert containers["app"]["env"] == [{"name": "MODE", "value": "prod"}, {"name": "DEBUG", "value": "1"}]
    assert [p["containerPort"] for p in containers["app"]["ports"]] == [80, 9090]
    assert patched["metadata"]["generation"] == 2


async def test_strategic_merge_patch_directives_delete_and_replace(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", two_containers())

    patched = await raw(
        a.patch_namespaced_deployment,
        "web",
        "default",
        {
            "metadata": {"labels": {"app": None, "team": "blue"}},
            "spec": {
                "template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}},
                "strategy": {"$patch": "replace", "type": "Recreate"},
            },
        },
    )

    assert patched["metadata"]["labels"] == {"team": "blue"}
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["app"]
    assert patched["spec"]["strategy"] == {"type": "Recreate"}


async def test_merge_patch_replaces_lists_and_null_deletes(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", two_containers())

    patched = await raw(
        a.patch_namespaced_deployment,
        "web",
        "default",
        {
            "metadata": {"annotations": {"note": "x"}},
            "spec": {"template": {"spec": {"containers": [{"name": "only", "image": "solo:1"}]}}},
        },
        _content_type=MERGE,
    )

    assert patched["metadata"]["annotations"]["note"] == "x"
    assert [(c["name"], c["image"]) for c in patched["spec"]["template"]["spec"]["containers"]] == [
        ("only", "solo:1")
    ]
    unannotated = await raw(
        a.patch_namespaced_deployment,
        "web",
        "default",
        {"metadata": {"annotations": {"note": None}}},
        _content_type=MERGE,
    )
    assert "note" not in (unannotated["metadata"].get("annotations") or {})


async def test_json_patch_applies_operations_in_order(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", two_containers())

    patched = await raw(
        a.patch_namespaced_deployment,
        "web",
        "default",
        [
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "replace", "path": "/spec/replicas", "value": 4},
            {"op": "add", "path": "/metadata/labels/tier", "value": "web"},
            {"op": "remove", "path": "/spec/template/spec/containers/1"},
            {"op": "copy", "from": "/metadata/labels/tier", "path": "/metadata/labels/copy"},
        ],
    )

    assert patched["spec"]["replicas"] == 4
    assert patched["metadata"]["labels"] == {"app": "web", "tier": "web", "copy": "web"}
    assert len(patched["spec"]["template"]["spec"]["containers"]) == 1


async def test_a_failed_json_patch_test_is_invalid_and_changes_nothing(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", two_containers())
    replicas_before = sandbox.store.peek(BY_KIND["Deployment"], "default", "web")["spec"]["replicas"]

    error = await api_error(
        a.patch_namespaced_deployment,
        "web",
        "default",
        [
            {"op": "test", "path": "/spec/replicas", "value": 7},
            {"op": "replace", "path": "/spec/replicas", "value": 9},
        ],
    )

    assert error.status == 422 and status_of(error)["reason"] == "Invalid"
    assert sandbox.store.peek(BY_KIND["Deployment"], "default", "web")["spec"]["replicas"] == replicas_before


async def test_server_side_apply_is_refused_as_an_unsupported_media_type(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", two_containers())

    error = await api_error(
        a.patch_namespaced_deployment,
        "web",
        "default",
        {"spec": {"replicas": 2}},
        field_manager="test",
        _content_type="application/apply-patch+yaml",
    )

    assert error.status == 415 and status_of(error)["reason"] == "UnsupportedMediaType"
    assert "server-side apply is not implemented" in status_of(error)["message"]


async def test_patching_the_service_ports_merges_by_port(kube_api: ApiClient) -> None:
    c = core(kube_api)
    await call(c.create_namespaced_service, "default", service("web"))

    patched = await raw(
        c.patch_namespaced_service,
        "web",
        "default",
        {
            "spec": {
                "ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https", "targetPort": 8443}]
            }
        },
    )

    assert [(p["port"], p.get("name"), p["targetPort"]) for p in patched["spec"]["ports"]] == [
        (80, "http", 80),
        (443, "https", 8443),
    ]


async def test_the_status_subresource_changes_only_the_status(kube_api: ApiClient) -> None:
    n = networking(kube_api)
    await call(n.create_namespaced_ingress, "default", ingress("lb", "lb.example.com", "web"))

    patched = await raw(
        n.patch_namespaced_ingress_status,
        "lb",
        "default",
        {
            "metadata": {"labels": {"ignored": "yes"}},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}},
        },
    )
    through_main = await raw(
        n.patch_namespaced_ingress,
        "lb",
        "default",
        {"status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.1"}]}}},
    )

    assert patched["status"]["loadBalancer"]["ingress"] == [{"ip": "203.0.113.7"}]
    assert "ignored" not in (patched["metadata"].get("labels") or {})
    assert through_main["status"]["loadBalancer"]["ingress"] == [{"ip": "203.0.113.7"}]


async def test_scale_subresource_reads_and_writes_replicas(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", deployment("web", replicas=2))

    scale = await raw(a.read_namespaced_deployment_scale, "web", "default")
    patched = await raw(
        a.patch_namespaced_deployment_scale, "web", "default", {"spec": {"replicas": 5}}, _content_type=MERGE
    )
    replaced = await raw(
        a.replace_namespaced_deployment_scale,
        "web",
        "default",
        {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 3},
        },
    )

    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2} and scale["status"]["selector"] == "app=web"
    assert patched["spec"]["replicas"] == 5 and replaced["spec"]["replicas"] == 3
    assert sandbox.store.peek(BY_KIND["Deployment"], "default", "web")["spec"]["replicas"] == 3


async def test_scaling_with_a_stale_resource_version_is_a_conflict(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", deployment("web"))
    scale = await raw(a.read_namespaced_deployment_scale, "web", "default")
    await call(a.patch_namespaced_deployment, "web", "default", {"metadata": {"labels": {"bump": "1"}}})

    scale["spec"]["replicas"] = 4
    error = await api_error(a.replace_namespaced_deployment_scale, "web", "default", scale)

    assert error.status == 409 and status_of(error)["reason"] == "Conflict"


async def test_scaling_to_a_negative_count_is_invalid(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", deployment("web"))

    error = await api_error(
        a.patch_namespaced_deployment_scale, "web", "default", {"spec": {"replicas": -1}}, _content_type=MERGE
    )

    body = status_of(error)
    assert error.status == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: '
        "must be greater than or equal to 0"
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "field": "spec.replicas",
            "message": "Invalid value: -1: must be greater than or equal to 0",
        }
    ]


async def test_replica_sets_have_a_scale_subresource_too(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_replica_set, "default", {**deployment("rs"), "kind": "ReplicaSet"})

    patched = await raw(a.patch_namespaced_replica_set_scale, "rs", "default", {"spec": {"replicas": 0}})

    assert patched["spec"]["replicas"] == 0
