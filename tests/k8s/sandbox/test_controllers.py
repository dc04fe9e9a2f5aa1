"""The sandbox controllers driven through the store alone (no HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import kubernetes_validate
import pytest

from klepaas.k8s.sandbox.controllers import ControllerOptions, Controllers
from klepaas.k8s.sandbox.deployments import template_hash
from klepaas.k8s.sandbox.failures import Behaviour, FailureRules, image_glob, image_tag
from klepaas.k8s.sandbox.samples import load_samples, sample_objects
from klepaas.k8s.sandbox.scheduling import make_node, parse_quantity
from klepaas.k8s.sandbox.store import Obj, Store, WatchEvent
from tests.k8s.sandbox.helpers import (
    DEPLOYMENT,
    ENDPOINTS,
    EVENT,
    NAMESPACE,
    NODE,
    POD,
    SERVICE,
    all_rolled_out,
    condition,
    deployment,
    events_for,
    find_condition,
    is_ready,
    patch_spec,
    pods_of,
    replicasets_of,
    rolled_out,
    service,
    set_image,
    wait_for,
)

FAST = ControllerOptions(
    pod_start_delay=0.02,
    pod_ready_delay=0.02,
    crash_after=0.03,
    crash_restart_base=0.03,
    crash_restart_max=0.2,
    image_pull_backoff_base=0.03,
    image_pull_backoff_max=0.2,
    schedule_retry=0.05,
    load_balancer_delay=0.02,
    seed=42,
)


@dataclass
class Sandbox:
    store: Store
    controllers: Controllers


async def start(**options: Any) -> Sandbox:
    store = Store()
    store.create(NAMESPACE, {"metadata": {"name": "default"}})
    opts = dataclasses.replace(FAST, **options)
    if "failure_rules" not in options:
        opts.failure_rules = FailureRules()
    controllers = Controllers(store, opts)
    await controllers.start()
    return Sandbox(store, controllers)


@contextlib.asynccontextmanager
async def running(**options: Any) -> AsyncIterator[Sandbox]:
    """A store with the default namespace and started controllers; stopped (and checked for
    controller errors) on the way out."""
    box = await start(**options)
    try:
        yield box
    finally:
        await box.controllers.stop()
    assert box.controllers.errors == []


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running() as box:
        yield box


async def rollout(box: Sandbox, obj: Obj, timeout: float = 5.0) -> Obj:
    box.store.create(DEPLOYMENT, obj)
    name, ns = obj["metadata"]["name"], obj["metadata"]["namespace"]
    await wait_for(lambda: rolled_out(box.store, name, ns), timeout, what=f"{name} rolled out")
    return box.store.get(DEPLOYMENT, ns, name)


# ---- nodes, namespaces ------------------------------------------------------------------------
async def test_starting_on_an_empty_store_creates_three_ready_nodes_running_kubelet_1_32(
    sandbox: Sandbox,
) -> None:
    nodes = sandbox.store.list(NODE)
    assert [n["metadata"]["name"] for n in nodes] == [
        "sandbox-control-plane",
        "sandbox-worker",
        "sandbox-worker2",
    ]
    for node in nodes:
        assert condition(node, "Ready")["status"] == "True"
        assert node["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.32.")
        assert set(node["status"]["allocatable"]) >= {"cpu", "memory", "pods"}


async def test_a_new_namespace_becomes_active_and_gets_its_name_label(sandbox: Sandbox) -> None:
    sandbox.store.create(NAMESPACE, {"metadata": {"name": "team-a"}})
    ns = await wait_for(
        lambda: (
            (n := sandbox.store.find(NAMESPACE, None, "team-a"))
            and (n.get("status") or {}).get("phase") == "Active"
            and n
        )
    )
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}


# ---- deployments → replica sets → pods ------------------------------------------------------
async def test_a_deployment_gets_a_replicaset_named_by_its_template_hash_with_owned_ready_pods(
    sandbox: Sandbox,
) -> None:
    d = await rollout(sandbox, deployment("web", replicas=3))
    [rs] = replicasets_of(sandbox.store, "web")
    pod_hash = template_hash(d["spec"]["template"])
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["metadata"]["labels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["spec"]["selector"] == {"matchLabels": {"app": "web", "pod-template-hash": pod_hash}}
    assert rs["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "uid": d["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert rs["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "1",
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",
    }
    assert rs["status"] == {
        "replicas": 3,
        "fullyLabeledReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "observedGeneration": 1,
    }
    pods = pods_of(sandbox.store, "web")
    assert len(pods) == 3
    for pod in pods:
        assert pod["metadata"]["name"].startswith(f"web-{pod_hash}-")
        assert len(pod["metadata"]["name"]) == len(f"web-{pod_hash}-") + 5
        assert pod["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
        assert pod["spec"]["nodeName"] in ("sandbox-worker", "sandbox-worker2")
        status = pod["status"]
        assert status["phase"] == "Running"
        assert status["podIP"].startswith("10.244.")
        assert status["hostIP"].startswith("172.18.0.")
        assert [c["type"] for c in status["conditions"]] == [
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        ]
        assert all(c["status"] == "True" for c in status["conditions"])
        [cs] = status["containerStatuses"]
        assert cs["ready"] is True and cs["started"] is True and cs["restartCount"] == 0
        assert cs["image"] == "docker.io/library/nginx:1.25"
        assert set(cs["state"]) == {"running"} and cs["lastState"] == {}
        assert cs["containerID"].startswith("containerd://")
    assert len({p["status"]["podIP"] for p in pods}) == 3


async def test_a_rolled_out_deployment_reports_counts_and_available_progressing_conditions(
    sandbox: Sandbox,
) -> None:
    d = await rollout(sandbox, deployment("api", replicas=2))
    [rs] = replicasets_of(sandbox.store, "api")
    status = d["status"]
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": 1,
        "replicas": 2,
        "updatedReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
    }
    available, progressing = status["conditions"]
    assert (available["type"], available["status"], available["reason"], available["message"]) == (
        "Available",
        "True",
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    assert (progressing["type"], progressing["status"], progressing["reason"], progressing["message"]) == (
        "Progressing",
        "True",
        "NewReplicaSetAvailable",
        f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.',
    )
    assert set(progressing) == {"type", "status", "reason", "message", "lastUpdateTime", "lastTransitionTime"}
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"


async def test_the_same_template_always_hashes_to_the_same_value_and_ignores_empty_fields() -> None:
    template = deployment("x")["spec"]["template"]
    again = {**template, "metadata": {**template["metadata"], "annotations": {}, "creationTimestamp": None}}
    assert template_hash(template) == template_hash(again)
    assert template_hash(template) != template_hash(template, collision_count=1)
    assert set(template_hash(template)) <= set("bcdfghjklmnpqrstvwxz2456789")


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "max_total", "min_ready"),
    [
        (4, 1, 0, 5, 4),
        (4, 0, 1, 4, 3),
        (5, "30%", "30%", 7, 4),  # surge rounds up (1.5 -> 2), unavailable down (1.5 -> 1)
        (4, None, None, 5, 3),  # defaults 25% / 25%
    ],
)
async def test_a_rolling_update_keeps_within_max_surge_and_max_unavailable_at_every_step(
    sandbox: Sandbox, replicas: int, surge: Any, unavailable: Any, max_total: int, min_ready: int
) -> None:
    rolling = {k: v for k, v in (("maxSurge", surge), ("maxUnavailable", unavailable)) if v is not None}
    strategy = {"type": "RollingUpdate", "rollingUpdate": rolling}
    await rollout(sandbox, deployment("roll", replicas=replicas, strategy=strategy))
    seen: list[tuple[int, int]] = []

    def observe(event: WatchEvent) -> None:
        if event.rt.kind == "Pod":
            pods = pods_of(sandbox.store, "roll")
            seen.append((len(pods), sum(is_ready(p) for p in pods)))

    sandbox.store.add_listener(observe)
    set_image(sandbox.store, "roll", "nginx:1.26")
    await wait_for(lambda: rolled_out(sandbox.store, "roll"), what="second rollout")
    assert seen, "the rollout changed no pods"
    assert max(total for total, _ in seen) <= max_total
    assert min(ready for _, ready in seen) >= min_ready
    images = {p["spec"]["containers"][0]["image"] for p in pods_of(sandbox.store, "roll")}
    assert images == {"nginx:1.26"}


async def test_the_recreate_strategy_deletes_every_old_pod_before_creating_new_ones(sandbox: Sandbox) -> None:
    await rollout(sandbox, deployment("batch", replicas=3, strategy={"type": "Recreate"}))
    overlap: list[set[str]] = []

    def observe(event: WatchEvent) -> None:
        if event.rt.kind == "Pod":
            images = {p["spec"]["containers"][0]["image"] for p in pods_of(sandbox.store, "batch")}
            overlap.append(images)

    sandbox.store.add_listener(observe)
    set_image(sandbox.store, "batch", "nginx:1.26")
    await wait_for(lambda: rolled_out(sandbox.store, "batch"))
    assert {"nginx:1.25", "nginx:1.26"} not in overlap
    assert set() in overlap  # there was a moment with no pods at all


async def test_scaling_changes_the_pod_count_and_scale_down_removes_not_ready_pods_first(
    sandbox: Sandbox,
) -> None:
    await rollout(sandbox, deployment("scale", replicas=2))
    original = {p["metadata"]["name"] for p in pods_of(sandbox.store, "scale")}
    sandbox.controllers.options.pod_start_delay = 5.0  # new pods stay ContainerCreating
    patch_spec(sandbox.store, "Deployment", "default", "scale", replicas=5)
    await wait_for(lambda: len(pods_of(sandbox.store, "scale")) == 5, what="5 pods")
    patch_spec(sandbox.store, "Deployment", "default", "scale", replicas=2)
    await wait_for(lambda: len(pods_of(sandbox.store, "scale")) == 2, what="2 pods")
    assert {p["metadata"]["name"] for p in pods_of(sandbox.store, "scale")} == original
    sandbox.controllers.options.pod_start_delay = 0.02
    await wait_for(lambda: rolled_out(sandbox.store, "scale"))


async def test_undoing_to_the_first_template_reuses_its_replicaset_with_the_next_revision(
    sandbox: Sandbox,
) -> None:
    await rollout(sandbox, deployment("undo", image="nginx:1.25"))
    [first] = replicasets_of(sandbox.store, "undo")
    set_image(sandbox.store, "undo", "nginx:1.26")
    await wait_for(lambda: rolled_out(sandbox.store, "undo"))
    set_image(sandbox.store, "undo", "nginx:1.25")
    await wait_for(lambda: rolled_out(sandbox.store, "undo"))
    rss = {rs["metadata"]["name"]: rs for rs in replicasets_of(sandbox.store, "undo")}
    assert len(rss) == 2
    reused = rss[first["metadata"]["name"]]
    assert reused["metadata"]["uid"] == first["metadata"]["uid"]
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert reused["spec"]["replicas"] == 2
    [second] = [rs for name, rs in rss.items() if name != first["metadata"]["name"]]
    assert second["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert second["spec"]["replicas"] == 0
    d = sandbox.store.get(DEPLOYMENT, "default", "undo")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"


async def test_revision_history_limit_deletes_the_oldest_unused_replicasets(sandbox: Sandbox) -> None:
    await rollout(sandbox, deployment("hist", replicas=1, revisionHistoryLimit=2))
    for tag in ("1.26", "1.27", "1.28", "1.29"):
        set_image(sandbox.store, "hist", f"nginx:{tag}")
        await wait_for(lambda: rolled_out(sandbox.store, "hist"))

    def revisions() -> list[str]:
        return sorted(
            rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
            for rs in replicasets_of(sandbox.store, "hist")
        )

    assert await wait_for(lambda: revisions() == ["3", "4", "5"] and revisions(), what="pruned history")


async def test_a_restarted_at_template_annotation_rolls_out_a_new_replicaset(sandbox: Sandbox) -> None:
    await rollout(sandbox, deployment("restart"))
    before = {p["metadata"]["name"] for p in pods_of(sandbox.store, "restart")}
    d = sandbox.store.get(DEPLOYMENT, "default", "restart")
    d["spec"]["template"]["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"
    }
    sandbox.store.replace(DEPLOYMENT, d)
    await wait_for(
        lambda: rolled_out(sandbox.store, "restart") and len(replicasets_of(sandbox.store, "restart")) == 2
    )
    after = pods_of(sandbox.store, "restart")
    assert before.isdisjoint(p["metadata"]["name"] for p in after)
    assert all(
        p["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"}
        for p in after
    )


async def test_deployment_annotations_such_as_change_cause_are_copied_to_the_new_replicaset(
    sandbox: Sandbox,
) -> None:
    obj = deployment("cause")
    obj["metadata"]["annotations"] = {
        "kubernetes.io/change-cause": "first release",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
    }
    await rollout(sandbox, obj)
    [rs] = replicasets_of(sandbox.store, "cause")
    assert rs["metadata"]["annotations"]["kubernetes.io/change-cause"] == "first release"
    assert "kubectl.kubernetes.io/last-applied-configuration" not in rs["metadata"]["annotations"]


async def test_a_paused_deployment_rolls_nothing_out_until_it_is_resumed(sandbox: Sandbox) -> None:
    await rollout(sandbox, deployment("pause"))
    patch_spec(sandbox.store, "Deployment", "default", "pause", paused=True)
    set_image(sandbox.store, "pause", "nginx:1.26")
    progressing = await wait_for(
        lambda: find_condition(sandbox.store.get(DEPLOYMENT, "default", "pause"), "Progressing")
    )
    await wait_for(
        lambda: (
            (c := find_condition(sandbox.store.get(DEPLOYMENT, "default", "pause"), "Progressing"))
            and c["reason"] == "DeploymentPaused"
        )
    )
    assert progressing is not None
    assert len(replicasets_of(sandbox.store, "pause")) == 1
    patch_spec(sandbox.store, "Deployment", "default", "pause", paused=False)
    await wait_for(
        lambda: rolled_out(sandbox.store, "pause") and len(replicasets_of(sandbox.store, "pause")) == 2
    )


async def test_deleting_a_deployment_cascades_to_its_replicasets_and_pods(sandbox: Sandbox) -> None:
    await rollout(sandbox, deployment("gone", replicas=2))
    sandbox.store.delete(DEPLOYMENT, "default", "gone")
    assert replicasets_of(sandbox.store, "gone") == []
    assert pods_of(sandbox.store, "gone") == []
    killing = await wait_for(
        lambda: [e for e in sandbox.store.list(EVENT, "default") if e["reason"] == "Killing"]
    )
    assert {e["message"] for e in killing} == {"Stopping container gone"}


# ---- failures -----------------------------------------------------------------------------
async def test_a_crashing_image_goes_into_crash_loop_back_off_with_growing_restarts(sandbox: Sandbox) -> None:
    sandbox.store.create(DEPLOYMENT, deployment("crashy", image="ghcr.io/acme/api:1.0-crash", replicas=1))

    def restarts() -> int:
        pods = pods_of(sandbox.store, "crashy")
        return (
            pods[0]["status"]["containerStatuses"][0]["restartCount"]
            if pods and (pods[0].get("status") or {}).get("containerStatuses")
            else 0
        )

    await wait_for(lambda: restarts() >= 3, what="three restarts")
    cs = await wait_for(
        lambda: (
            (s := pods_of(sandbox.store, "crashy")[0]["status"]["containerStatuses"][0])
            and "waiting" in s["state"]
            and s
        )
    )
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["ready"] is False
    terminated = cs["lastState"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (1, "Error")
    pod = pods_of(sandbox.store, "crashy")[0]
    assert pod["status"]["phase"] == "Running"
    assert condition(pod, "Ready")["status"] == "False"
    backoff = [e for e in events_for(sandbox.store, pod["metadata"]["name"]) if e["reason"] == "BackOff"]
    assert len(backoff) == 1 and backoff[0]["count"] >= 2 and backoff[0]["type"] == "Warning"
    assert backoff[0]["message"].startswith("Back-off restarting failed container crashy in pod ")


async def test_an_oom_image_is_oom_killed_with_exit_code_137(sandbox: Sandbox) -> None:
    sandbox.store.create(DEPLOYMENT, deployment("hungry", image="ghcr.io/acme/api:oom", replicas=1))
    cs = await wait_for(
        lambda: (
            (p := pods_of(sandbox.store, "hungry"))
            and (s := p[0].get("status", {}).get("containerStatuses"))
            and s[0]["lastState"].get("terminated")
            and s[0]
        )
    )
    assert (cs["lastState"]["terminated"]["exitCode"], cs["lastState"]["terminated"]["reason"]) == (
        137,
        "OOMKilled",
    )


async def test_a_missing_image_keeps_the_pod_pending_with_image_pull_back_off(sandbox: Sandbox) -> None:
    sandbox.store.create(DEPLOYMENT, deployment("nope", image="ghcr.io/acme/api:missing", replicas=1))
    reasons: set[str] = set()

    def waiting() -> set[str]:
        for pod in pods_of(sandbox.store, "nope"):
            for cs in (pod.get("status") or {}).get("containerStatuses") or []:
                if "waiting" in cs["state"]:
                    reasons.add(cs["state"]["waiting"]["reason"])
        return reasons

    await wait_for(lambda: {"ErrImagePull", "ImagePullBackOff"} <= waiting(), what="both pull errors")
    [pod] = pods_of(sandbox.store, "nope")
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["podIP"]
    failed = {
        e["message"] for e in events_for(sandbox.store, pod["metadata"]["name"]) if e["reason"] == "Failed"
    }
    assert {"Error: ErrImagePull", "Error: ImagePullBackOff"} <= failed


async def test_rules_added_by_a_test_take_precedence_over_the_defaults() -> None:
    rules = FailureRules()
    rules.add(image_glob("registry.local/flaky:*"), Behaviour.CRASH)
    async with running(failure_rules=rules) as box:
        box.store.create(DEPLOYMENT, deployment("flaky", image="registry.local/flaky:2.0", replicas=1))
        await wait_for(
            lambda: (
                (p := pods_of(box.store, "flaky"))
                and (s := p[0].get("status", {}).get("containerStatuses"))
                and s[0]["restartCount"] >= 1
            )
        )


def test_default_failure_rules_read_the_tag_of_the_image() -> None:
    rules = FailureRules()
    assert image_tag("registry:5000/team/app:1.2-crash") == "1.2-crash"
    assert image_tag("nginx") == "latest"
    assert image_tag("nginx@sha256:abc") == "latest"
    assert [
        rules.behaviour_for(i) for i in ("a:crash", "a:v1-crash", "a:oom", "a:missing", "a:1.0", "crash")
    ] == [Behaviour.CRASH, Behaviour.CRASH, Behaviour.OOM, Behaviour.PULL_FAIL, Behaviour.RUN, Behaviour.RUN]


async def test_a_rollout_that_cannot_become_available_exceeds_its_progress_deadline(sandbox: Sandbox) -> None:
    await rollout(sandbox, deployment("stuck", replicas=2, progressDeadlineSeconds=1))
    set_image(sandbox.store, "stuck", "nginx:crash")

    def progressing() -> Obj | None:
        return find_condition(sandbox.store.get(DEPLOYMENT, "default", "stuck"), "Progressing")

    cond = await wait_for(
        lambda: (c := progressing()) and c["reason"] == "ProgressDeadlineExceeded" and c, timeout=8
    )
    assert cond["status"] == "False"
    assert cond["message"].endswith("has timed out progressing.")
    assert condition(sandbox.store.get(DEPLOYMENT, "default", "stuck"), "Available")["status"] == "True"


# ---- scheduling -----------------------------------------------------------------------------
async def test_a_pod_whose_node_selector_matches_no_node_stays_pending_until_a_node_fits(
    sandbox: Sandbox,
) -> None:
    obj = deployment("gpu", replicas=1)
    obj["spec"]["template"]["spec"]["nodeSelector"] = {"accelerator": "nvidia"}
    sandbox.store.create(DEPLOYMENT, obj)
    event = await wait_for(
        lambda: [e for e in sandbox.store.list(EVENT, "default") if e["reason"] == "FailedScheduling"]
    )
    assert event[0]["type"] == "Warning"
    assert event[0]["message"].startswith("0/3 nodes are available: ")
    assert "2 node(s) didn't match Pod's node affinity/selector" in event[0]["message"]
    [pod] = pods_of(sandbox.store, "gpu")
    assert condition(pod, "PodScheduled")["reason"] == "Unschedulable"
    node = make_node("sandbox-gpu", 3, control_plane=False, tainted=False)
    node["metadata"]["labels"]["accelerator"] = "nvidia"
    sandbox.store.create(NODE, node)
    await wait_for(lambda: rolled_out(sandbox.store, "gpu"))
    assert pods_of(sandbox.store, "gpu")[0]["spec"]["nodeName"] == "sandbox-gpu"


async def test_a_pod_requesting_more_cpu_than_any_node_has_fails_scheduling(sandbox: Sandbox) -> None:
    obj = deployment("big", replicas=1)
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "64", "memory": "1Gi"}
    }
    sandbox.store.create(DEPLOYMENT, obj)
    events = await wait_for(
        lambda: [
            e
            for e in sandbox.store.list(EVENT, "default")
            if e["reason"] == "FailedScheduling" and e["count"] >= 2
        ],
        what="retries",
    )
    assert "2 Insufficient cpu" in events[0]["message"]
    assert "spec" in pods_of(sandbox.store, "big")[0] and not pods_of(sandbox.store, "big")[0]["spec"].get(
        "nodeName"
    )


def test_quantities_parse_like_kubernetes() -> None:
    assert [float(parse_quantity(q)) for q in ("500m", "2", "128Mi", "1Gi", "1k", "1e3", 3, "bogus")] == [
        0.5,
        2,
        128 * 2**20,
        2**30,
        1000,
        1000,
        3,
        0,
    ]


# ---- services and endpoints ---------------------------------------------------------------
async def test_endpoints_follow_ready_pods_and_list_unready_ones_separately(sandbox: Sandbox) -> None:
    sandbox.store.create(SERVICE, service("shop"))
    await rollout(sandbox, deployment("shop", replicas=2))

    def addresses() -> tuple[list[str], list[str]]:
        ep = sandbox.store.find(ENDPOINTS, "default", "shop") or {}
        subsets = ep.get("subsets") or [{}]
        return (
            sorted(a["ip"] for a in subsets[0].get("addresses", [])),
            sorted(a["ip"] for a in subsets[0].get("notReadyAddresses", [])),
        )

    ips = sorted(p["status"]["podIP"] for p in pods_of(sandbox.store, "shop"))
    await wait_for(lambda: addresses() == (ips, []), what="ready addresses")
    ep = sandbox.store.get(ENDPOINTS, "default", "shop")
    assert ep["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP", "name": "http"}]
    assert ep["subsets"][0]["addresses"][0]["targetRef"]["kind"] == "Pod"
    svc = sandbox.store.get(SERVICE, "default", "shop")
    assert svc["spec"]["clusterIP"].startswith("10.96.") and svc["spec"]["clusterIPs"] == [
        svc["spec"]["clusterIP"]
    ]

    set_image(sandbox.store, "shop", "nginx:crash")  # a new pod that never becomes ready
    await wait_for(lambda: len(addresses()[1]) == 1, what="one not-ready address")
    patch_spec(sandbox.store, "Deployment", "default", "shop", replicas=0)
    await wait_for(
        lambda: "subsets" not in sandbox.store.get(ENDPOINTS, "default", "shop"), what="no subsets"
    )
    sandbox.store.delete(SERVICE, "default", "shop")
    await wait_for(lambda: sandbox.store.find(ENDPOINTS, "default", "shop") is None, what="endpoints deleted")


async def test_a_load_balancer_service_gets_an_ingress_ip_and_node_ports(sandbox: Sandbox) -> None:
    sandbox.store.create(SERVICE, service("edge", type="LoadBalancer"))
    svc = await wait_for(
        lambda: (
            (s := sandbox.store.get(SERVICE, "default", "edge"))
            and (s.get("status") or {}).get("loadBalancer", {}).get("ingress")
            and s
        )
    )
    assert svc["status"]["loadBalancer"]["ingress"][0]["ip"].startswith("172.18.255.")
    assert 30000 <= svc["spec"]["ports"][0]["nodePort"] <= 32767
    assert {e["reason"] for e in events_for(sandbox.store, "edge")} == {
        "EnsuringLoadBalancer",
        "EnsuredLoadBalancer",
    }


# ---- events -------------------------------------------------------------------------------
async def test_a_rollout_records_the_events_a_real_cluster_shows(sandbox: Sandbox) -> None:
    await rollout(sandbox, deployment("evt", replicas=1))
    [rs] = replicasets_of(sandbox.store, "evt")
    [pod] = pods_of(sandbox.store, "evt")
    deploy_events = events_for(sandbox.store, "evt")
    assert [(e["reason"], e["message"]) for e in deploy_events] == [
        ("ScalingReplicaSet", f"Scaled up replica set {rs['metadata']['name']} from 0 to 1")
    ]
    assert deploy_events[0]["source"] == {"component": "deployment-controller"}
    rs_events = events_for(sandbox.store, rs["metadata"]["name"])
    assert [(e["reason"], e["message"]) for e in rs_events] == [
        ("SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
    ]
    pod_events = sorted(
        events_for(sandbox.store, pod["metadata"]["name"]), key=lambda e: e["metadata"]["name"]
    )
    assert [e["reason"] for e in pod_events] == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    scheduled = pod_events[0]
    assert (
        scheduled["message"]
        == f"Successfully assigned default/{pod['metadata']['name']} to {pod['spec']['nodeName']}"
    )
    assert scheduled["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert pod_events[1]["involvedObject"]["fieldPath"] == "spec.containers{evt}"
    assert pod_events[1]["source"] == {"component": "kubelet", "host": pod["spec"]["nodeName"]}
    assert all(e["count"] == 1 and e["eventTime"] is None and e["type"] == "Normal" for e in pod_events)


async def test_the_event_recorder_keeps_a_bounded_number_of_events() -> None:
    async with running(max_events=20) as box:
        await rollout(box, deployment("many", replicas=6))
        assert len(box.store.list(EVENT, "default")) <= 20


# ---- lifecycle ----------------------------------------------------------------------------
async def test_start_and_stop_are_idempotent_and_leave_no_task_behind() -> None:
    box = await start()
    await box.controllers.start()
    before = {t for t in asyncio.all_tasks() if t.get_name() == "sandbox-controllers"}
    assert len(before) == 1
    await box.controllers.stop()
    await box.controllers.stop()
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "sandbox-controllers"]
    box.store.create(DEPLOYMENT, deployment("later", replicas=1))
    await box.controllers.start()
    try:
        await wait_for(lambda: rolled_out(box.store, "later"))
    finally:
        await box.controllers.stop()
    assert box.controllers.errors == []


async def test_the_sample_apps_are_valid_kubernetes_objects_and_all_roll_out() -> None:
    for obj in sample_objects():
        kubernetes_validate.validate(obj, "1.32", strict=True)
    async with running(pod_ready_delay=0.0) as box:
        load_samples(box.store)
        load_samples(box.store)  # a second load changes nothing
        await wait_for(lambda: all_rolled_out(box.store), what="every sample rolled out")
        names = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in box.store.list(DEPLOYMENT)}
        assert names == {
            ("kube-system", "coredns"),
            ("default", "nginx"),
            ("staging", "api"),
            ("staging", "web"),
            ("production", "checkout"),
            ("production", "payment"),
        }
        await wait_for(
            lambda: all(
                (s.get("status") or {}).get("loadBalancer", {}).get("ingress")
                for s in box.store.list(SERVICE, "production")
            )
        )
        assert len(box.store.list(POD)) == 14
