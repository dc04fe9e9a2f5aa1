"""Create, read, replace and delete every kind through the real kubernetes client."""

from __future__ import annotations

import pytest
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
    namespace,
    networking,
    pod,
    raw,
    service,
    status_of,
)
from tests.k8s.sandbox.helpers import replicasets_of, wait_for


async def test_a_created_deployment_has_server_set_metadata_and_defaults(kube_api: ApiClient) -> None:
    created = await raw(apps(kube_api).create_namespaced_deployment, "default", deployment("web"))

    meta = created["metadata"]
    assert created["kind"] == "Deployment" and created["apiVersion"] == "apps/v1"
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z") and meta["generation"] == 1
    assert int(meta["resourceVersion"]) > 0 and meta["namespace"] == "default"
    assert created["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert created["spec"]["revisionHistoryLimit"] == 10
    assert (
        created["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"]
        == "/dev/termination-log"
    )


async def test_every_kind_can_be_created_read_listed_and_deleted(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    c, a, n = core(kube_api), apps(kube_api), networking(kube_api)
    await call(c.create_namespace, namespace("shop"))
    await call(a.create_namespaced_deployment, "shop", deployment("web"))
    await call(c.create_namespaced_service, "shop", service("web"))
    await call(n.create_namespaced_ingress, "shop", ingress("web", "web.example.com", "web"))
    await call(c.create_namespaced_pod, "shop", pod("solo"))
    await call(c.create_namespaced_endpoints, "shop", {"metadata": {"name": "manual"}, "subsets": []})
    await call(
        c.create_namespaced_event,
        "shop",
        {
            "metadata": {"name": "web.1"},
            "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "shop"},
            "reason": "Testing",
            "message": "hello",
            "type": "Normal",
        },
    )
    rs_body = deployment("rs-only")
    rs_body["kind"] = "ReplicaSet"
    await call(a.create_namespaced_replica_set, "shop", rs_body)

    assert (await call(c.read_namespace, "shop")).status.phase == "Active"
    assert (await call(a.read_namespaced_deployment, "web", "shop")).spec.replicas == 1
    svc = await call(c.read_namespaced_service, "web", "shop")
    assert svc.spec.cluster_ip.startswith("10.96.") and svc.spec.type == "ClusterIP"
    assert (await call(n.read_namespaced_ingress, "web", "shop")).spec.rules[0].host == "web.example.com"
    assert (await call(c.read_namespaced_pod, "solo", "shop")).spec.containers[0].image == "busybox:1.36"
    assert (await call(c.read_namespaced_event, "web.1", "shop")).reason == "Testing"
    assert (await call(c.read_namespaced_endpoints, "manual", "shop")).metadata.name == "manual"
    assert (await call(a.read_namespaced_replica_set, "rs-only", "shop")).spec.replicas == 1
    assert [n.metadata.name for n in (await call(c.list_node)).items]

    await call(n.delete_namespaced_ingress, "web", "shop")
    await call(c.delete_namespaced_service, "web", "shop")
    terminating = await raw(c.delete_namespace, "shop")
    assert terminating["kind"] == "Namespace" and terminating["status"]["phase"] == "Terminating"
    await wait_for(lambda: sandbox.store.find(BY_KIND["Namespace"], None, "shop") is None, what="shop gone")
    error = await api_error(a.read_namespaced_deployment, "web", "shop")
    assert error.status == 404


async def test_lists_span_all_namespaces_and_carry_list_metadata(kube_api: ApiClient) -> None:
    c, a = core(kube_api), apps(kube_api)
    await call(c.create_namespace, namespace("team-a"))
    await call(a.create_namespaced_deployment, "team-a", deployment("api"))
    await call(a.create_namespaced_deployment, "default", deployment("api"))

    everything = await raw(a.list_deployment_for_all_namespaces)

    assert everything["kind"] == "DeploymentList" and everything["apiVersion"] == "apps/v1"
    assert int(everything["metadata"]["resourceVersion"]) > 0
    assert sorted((d["metadata"]["namespace"], d["metadata"]["name"]) for d in everything["items"]) == [
        ("default", "api"),
        ("team-a", "api"),
    ]
    only_a = await call(a.list_namespaced_deployment, "team-a")
    assert [d.metadata.namespace for d in only_a.items] == ["team-a"]


async def test_replace_bumps_generation_only_when_the_spec_changes(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    current = await raw(a.create_namespaced_deployment, "default", deployment("web"))

    del current["metadata"][
        "resourceVersion"
    ]  # the controllers write status meanwhile: update unconditionally
    current["metadata"]["labels"]["team"] = "blue"
    relabelled = await raw(a.replace_namespaced_deployment, "web", "default", current)
    relabelled_rv = int(relabelled["metadata"].pop("resourceVersion"))
    relabelled["spec"]["replicas"] = 3
    rescaled = await raw(a.replace_namespaced_deployment, "web", "default", relabelled)

    assert relabelled["metadata"]["generation"] == 1
    assert rescaled["metadata"]["generation"] == 2 and rescaled["spec"]["replicas"] == 3
    assert int(rescaled["metadata"]["resourceVersion"]) > relabelled_rv


async def test_deleting_a_deployment_answers_a_success_status_and_removes_its_replicasets(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    a = apps(kube_api)
    created = await call(a.create_namespaced_deployment, "default", deployment("web"))

    status = await raw(a.delete_namespaced_deployment, "web", "default")

    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": "web", "group": "apps", "kind": "deployments", "uid": created.metadata.uid},
    }
    assert sandbox.store.find(BY_KIND["Deployment"], "default", "web") is None
    assert not [
        rs
        for rs in sandbox.store.list(BY_KIND["ReplicaSet"], "default")
        if rs["metadata"]["name"].startswith("web-")
    ]


async def test_orphan_propagation_keeps_the_dependents(sandbox: SandboxCluster, kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", deployment("keep"))
    rs = (await wait_for(lambda: replicasets_of(sandbox.store, "keep"), what="the replica set"))[0]

    await call(a.delete_namespaced_deployment, "keep", "default", propagation_policy="Orphan")

    orphan = sandbox.store.peek(BY_KIND["ReplicaSet"], "default", rs["metadata"]["name"])
    assert "ownerReferences" not in orphan["metadata"]


async def test_foreground_deletion_answers_the_object_marked_for_deletion(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", deployment("web"))

    answer = await raw(
        a.delete_namespaced_deployment,
        "web",
        "default",
        body={"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground"},
    )

    assert answer["kind"] == "Deployment"
    assert answer["metadata"]["deletionTimestamp"] and answer["metadata"]["finalizers"] == [
        "foregroundDeletion"
    ]


async def test_delete_collection_removes_only_the_selected_objects(kube_api: ApiClient) -> None:
    c = core(kube_api)
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        await call(
            c.create_namespaced_service,
            "default",
            {**service(name), "metadata": {"name": name, "labels": {"tier": tier}}},
        )

    deleted = await raw(c.delete_collection_namespaced_service, "default", label_selector="tier=web")

    assert deleted["kind"] == "ServiceList"
    assert sorted(s["metadata"]["name"] for s in deleted["items"]) == ["a", "b"]
    remaining = await call(c.list_namespaced_service, "default")
    assert sorted(s.metadata.name for s in remaining.items) == ["c", "kubernetes"]


async def test_system_namespaces_cannot_be_deleted(kube_api: ApiClient) -> None:
    error = await api_error(core(kube_api).delete_namespace, "kube-system")

    assert error.status == 403
    assert (
        status_of(error)["message"]
        == 'namespaces "kube-system" is forbidden: this namespace may not be deleted'
    )


@pytest.mark.parametrize("kind", ["deployment", "service", "namespace"])
async def test_dry_run_answers_as_if_stored_but_stores_nothing(
    kind: str, sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    c, a = core(kube_api), apps(kube_api)
    before = sandbox.store.resource_version
    if kind == "deployment":
        answer = await raw(a.create_namespaced_deployment, "default", deployment("ghost"), dry_run="All")
        found = sandbox.store.find(BY_KIND["Deployment"], "default", "ghost")
    elif kind == "service":
        answer = await raw(c.create_namespaced_service, "default", service("ghost"), dry_run="All")
        found = sandbox.store.find(BY_KIND["Service"], "default", "ghost")
    else:
        answer = await raw(c.create_namespace, namespace("ghost"), dry_run="All")
        found = sandbox.store.find(BY_KIND["Namespace"], None, "ghost")

    assert answer["metadata"]["name"] == "ghost" and answer["metadata"]["uid"]
    assert found is None and sandbox.store.resource_version == before


async def test_dry_run_patch_and_delete_change_nothing(sandbox: SandboxCluster, kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", deployment("web"))
    stored = sandbox.store.get(BY_KIND["Deployment"], "default", "web")

    patched = await raw(
        a.patch_namespaced_deployment, "web", "default", {"spec": {"replicas": 5}}, dry_run="All"
    )
    await call(a.delete_namespaced_deployment, "web", "default", dry_run="All")

    assert patched["spec"]["replicas"] == 5 and patched["metadata"]["generation"] == 2
    assert sandbox.store.get(BY_KIND["Deployment"], "default", "web") == stored


async def test_generate_name_gets_a_random_suffix(kube_api: ApiClient) -> None:
    body = pod("")
    body["metadata"] = {"generateName": "job-"}

    created = await call(core(kube_api).create_namespaced_pod, "default", body)

    assert created.metadata.name.startswith("job-") and len(created.metadata.name) == len("job-") + 5


async def test_a_deleted_namespace_terminates_refuses_new_content_then_goes(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    c = core(kube_api)
    await call(c.create_namespace, namespace("old"))
    await call(c.create_namespaced_service, "old", service("web"))

    answer = await raw(c.delete_namespace, "old")
    refused = await api_error(c.create_namespaced_service, "old", service("late"))
    still_there = await call(c.read_namespaced_service, "web", "old")

    assert answer["status"]["phase"] == "Terminating" and answer["metadata"]["deletionTimestamp"]
    assert refused.status == 403 and status_of(refused)["message"] == (
        'services "late" is forbidden: unable to create new content in namespace old because it is being '
        "terminated"
    )
    assert still_there.metadata.name == "web"
    await wait_for(lambda: sandbox.store.find(BY_KIND["Namespace"], None, "old") is None, what="old gone")
    assert sandbox.store.find(BY_KIND["Service"], "old", "web") is None
