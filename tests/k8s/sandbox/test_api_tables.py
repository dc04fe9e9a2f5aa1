"""Discovery documents, /version and the Table representation kubectl asks for."""

from __future__ import annotations

from kubernetes.client import ApiClient

from klepaas.k8s.sandbox.cluster import SandboxCluster
from tests.k8s.sandbox.api_helpers import apps, call, core, deployment, http, service

KUBECTL_TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
    "g=meta.k8s.io,application/json"
)
AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)


async def test_version_is_public_and_names_a_1_32_server(sandbox: SandboxCluster) -> None:
    status, version, _ = await http(sandbox, "GET", "/version", token="nobody")

    assert status == 200 and version["major"] == "1" and version["minor"] == "32"
    assert version["gitVersion"].startswith("v1.32.")


async def test_legacy_discovery_lists_resources_with_verbs_and_subresources(sandbox: SandboxCluster) -> None:
    _, groups, _ = await http(sandbox, "GET", "/apis")
    _, apps_v1, _ = await http(sandbox, "GET", "/apis/apps/v1")
    _, core_v1, _ = await http(sandbox, "GET", "/api/v1")

    assert [g["name"] for g in groups["groups"]] == ["apps", "networking.k8s.io", "authorization.k8s.io"]
    by_name = {r["name"]: r for r in apps_v1["resources"]}
    assert by_name["deployments"]["shortNames"] == ["deploy"] and "watch" in by_name["deployments"]["verbs"]
    assert by_name["deployments/scale"] == {
        "name": "deployments/scale",
        "singularName": "",
        "namespaced": True,
        "kind": "Scale",
        "verbs": ["get", "patch", "update"],
        "group": "autoscaling",
        "version": "v1",
    }
    assert {r["name"] for r in core_v1["resources"]} >= {
        "pods",
        "pods/log",
        "pods/status",
        "services",
        "namespaces",
        "nodes",
        "endpoints",
        "events",
    }


async def test_aggregated_discovery_is_served_when_asked_for_first(sandbox: SandboxCluster) -> None:
    status, body, headers = await http(sandbox, "GET", "/apis", headers={"Accept": AGGREGATED})

    assert status == 200 and headers["Content-Type"].startswith("application/json;g=apidiscovery.k8s.io;v=v2")
    apps_group = next(g for g in body["items"] if g["metadata"]["name"] == "apps")
    deployments = next(r for r in apps_group["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deployments["scope"] == "Namespaced" and deployments["responseKind"]["kind"] == "Deployment"
    assert {s["subresource"] for s in deployments["subresources"]} == {"scale", "status"}


async def test_discovery_needs_a_token(sandbox: SandboxCluster) -> None:
    status, body, _ = await http(sandbox, "GET", "/apis", token="nobody")

    assert status == 401 and body["reason"] == "Unauthorized"


async def test_deployments_print_as_a_table_with_kubectl_columns(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    await call(apps(kube_api).create_namespaced_deployment, "default", deployment("web", replicas=3))

    status, table, headers = await http(
        sandbox, "GET", "/apis/apps/v1/namespaces/default/deployments", headers={"Accept": KUBECTL_TABLE}
    )

    assert status == 200 and table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert headers["Content-Type"] == "application/json;as=Table;v=v1;g=meta.k8s.io"
    assert [(c["name"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", 0),
        ("Ready", 0),
        ("Up-to-date", 0),
        ("Available", 0),
        ("Age", 0),
        ("Containers", 1),
        ("Images", 1),
        ("Selector", 1),
    ]
    row = table["rows"][0]
    assert (
        row["cells"][0] == "web"
        and row["cells"][1].endswith("/3")
        and row["cells"][5:] == ["web", "nginx:1.25", "app=web"]
    )
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["name"] == "web"


async def test_include_object_embeds_the_whole_object_or_nothing(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    path = "/api/v1/namespaces/default/services/kubernetes"
    _, whole, _ = await http(
        sandbox, "GET", f"{path}?includeObject=Object", headers={"Accept": KUBECTL_TABLE}
    )
    _, bare, _ = await http(sandbox, "GET", f"{path}?includeObject=None", headers={"Accept": KUBECTL_TABLE})

    assert whole["rows"][0]["object"]["kind"] == "Service"
    assert whole["rows"][0]["cells"][:5] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
    assert "object" not in bare["rows"][0]


async def test_every_kind_has_its_printer_columns(sandbox: SandboxCluster, kube_api: ApiClient) -> None:
    await call(apps(kube_api).create_namespaced_deployment, "default", deployment("web"))
    expected = {
        "/api/v1/pods": ["Name", "Ready", "Status", "Restarts", "Age"],
        "/apis/apps/v1/replicasets": ["Name", "Desired", "Current", "Ready", "Age"],
        "/api/v1/services": ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"],
        "/api/v1/namespaces": ["Name", "Status", "Age"],
        "/apis/networking.k8s.io/v1/ingresses": ["Name", "Class", "Hosts", "Address", "Ports", "Age"],
        "/api/v1/events": ["Last Seen", "Type", "Reason", "Object", "Message"],
        "/api/v1/endpoints": ["Name", "Endpoints", "Age"],
        "/api/v1/nodes": ["Name", "Status", "Roles", "Age", "Version"],
    }

    for path, columns in expected.items():
        _, table, _ = await http(sandbox, "GET", path, headers={"Accept": KUBECTL_TABLE})
        shown = [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0]
        assert shown == columns, path
        assert all(len(r["cells"]) == len(table["columnDefinitions"]) for r in table["rows"]), path


async def test_a_service_with_node_ports_prints_them(sandbox: SandboxCluster, kube_api: ApiClient) -> None:
    body = service("np")
    body["spec"]["type"] = "NodePort"

    created = await call(core(kube_api).create_namespaced_service, "default", body)

    _, table, _ = await http(
        sandbox, "GET", "/api/v1/namespaces/default/services/np", headers={"Accept": KUBECTL_TABLE}
    )

    node_port = created.spec.ports[0].node_port
    assert 30000 <= node_port <= 32767 and table["rows"][0]["cells"][4] == f"80:{node_port}/TCP"
