"""Every object the sandbox serves passes strict schema validation for the version it reports."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from kubernetes.client import ApiClient
from kubernetes_validate.utils import major_minor, schema_contents
from referencing import Registry, Resource

from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from tests.k8s.sandbox.api_helpers import (
    api_error,
    apps,
    call,
    core,
    deployment,
    http,
    ingress,
    namespace,
    networking,
    raw,
    service,
)
from tests.k8s.sandbox.helpers import rolled_out, wait_for

LISTS = [
    "/api/v1/namespaces",
    "/api/v1/nodes",
    "/api/v1/pods",
    "/api/v1/services",
    "/api/v1/endpoints",
    "/api/v1/events",
    "/apis/apps/v1/deployments",
    "/apis/apps/v1/replicasets",
    "/apis/networking.k8s.io/v1/ingresses",
]


def shape(obj: Any, path: str = "") -> frozenset[tuple[str, str]]:
    """Every path in `obj` (list indices collapsed) with the JSON type found there."""
    if isinstance(obj, dict):
        found: set[tuple[str, str]] = {(path, "object")}
        for key, value in obj.items():
            found |= shape(value, f"{path}.{key}")
        return frozenset(found)
    if isinstance(obj, list):
        return frozenset({(path, "array")}.union(*(shape(item, f"{path}[]") for item in obj)))
    return frozenset({(path, type(obj).__name__)})


def validate_status(obj: dict[str, Any], version: str) -> None:
    """Status is `v1` on the wire but `status-meta-v1.json` in the schema set: look it up by hand."""
    schema_dir = f"kubernetes-json-schema/v{major_minor(version)}.0-local-strict"
    schema = schema_contents(f"{schema_dir}/status-meta-v1.json", version)
    registry: Registry = Resource.from_contents(
        schema_contents(f"{schema_dir}/_definitions.json", version)
    ) @ (Resource.from_contents(schema) @ Registry())
    jsonschema.validators.Draft202012Validator(schema, registry=registry).validate(obj)


def validate(obj: dict[str, Any], version: str) -> None:
    try:
        if obj["kind"] == "Status":
            validate_status(obj, version.lstrip("v"))
        else:
            kubernetes_validate.validate(obj, version, strict=True)
    except jsonschema.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path)
        name = obj.get("metadata", {}).get("name")
        raise AssertionError(f"{obj.get('kind')} {name!r} fails at {path}: {exc.message}") from exc


@pytest.mark.sandbox(samples=True)
async def test_every_served_object_validates_strictly_against_the_reported_version(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    _, version_info, _ = await http(sandbox, "GET", "/version")
    version = version_info["gitVersion"]
    c, a, n = core(kube_api), apps(kube_api), networking(kube_api)
    await call(c.create_namespace, namespace("schema"))
    web = deployment("web", replicas=2)
    web["spec"]["template"]["spec"]["containers"][0].update(
        ports=[{"containerPort": 80, "name": "http"}],
        env=[{"name": "MODE", "value": "test"}],
        resources={"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        readinessProbe={"httpGet": {"path": "/healthz", "port": 80}},
    )
    await call(a.create_namespaced_deployment, "schema", web)
    await call(c.create_namespaced_service, "schema", service("web"))
    lb = service("edge")
    lb["spec"]["type"] = "LoadBalancer"
    await call(c.create_namespaced_service, "schema", lb)
    await call(n.create_namespaced_ingress, "schema", ingress("web", "web.example.com", "web"))
    await wait_for(lambda: rolled_out(sandbox.store, "web", "schema"), what="web rolled out")
    await wait_for(lambda: sandbox.store.list(BY_KIND["Event"], "schema"), what="events")

    served: list[dict[str, Any]] = []
    for path in LISTS:
        status, listing, _ = await http(sandbox, "GET", path)
        assert status == 200, path
        served += listing["items"]
    served.append(await raw(a.read_namespaced_deployment_scale, "web", "schema"))
    served.append(await raw(a.delete_namespaced_deployment, "web", "schema"))
    served.append(await raw(c.delete_namespaced_service, "edge", "schema"))
    served.append(await raw(c.delete_namespace, "schema"))
    served.append(json.loads((await api_error(c.read_namespace, "nope")).body))

    kinds = {obj["kind"] for obj in served}
    representatives = {shape(obj): obj for obj in served}  # one per distinct structure, for speed
    assert len(representatives) > 20, len(representatives)
    assert kinds >= {
        "Namespace",
        "Node",
        "Pod",
        "Service",
        "Endpoints",
        "Event",
        "Deployment",
        "ReplicaSet",
        "Ingress",
        "Scale",
        "Status",
    }
    for obj in representatives.values():
        validate(obj, version)
