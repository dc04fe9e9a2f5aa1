"""Real kubectl (v1.32) against the sandbox cluster: gets, rollouts, undo, scale, logs, apply, delete."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.controllers import ControllerOptions
from tests.k8s.sandbox.helpers import all_rolled_out, pods_of, replicasets_of, wait_for

KUBECTL = shutil.which("kubectl", path="/usr/bin") or ""

pytestmark = pytest.mark.skipif(not KUBECTL, reason="kubectl is not installed at /usr/bin/kubectl")

FAST = ControllerOptions(
    pod_start_delay=0.02,
    pod_ready_delay=0.02,
    crash_after=0.03,
    crash_restart_base=0.05,
    crash_restart_max=0.2,
    image_pull_backoff_base=0.05,
    image_pull_backoff_max=0.2,
    load_balancer_delay=0.02,
    seed=3,
)


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Kubectl:
    cluster: SandboxCluster
    kubeconfig: Path
    cache: Path

    async def __call__(self, *args: str, stdin: str | None = None, check: bool = True) -> Result:
        """Run kubectl without blocking the event loop the sandbox serves on."""
        process = await asyncio.create_subprocess_exec(
            KUBECTL,
            "--kubeconfig",
            str(self.kubeconfig),
            "--cache-dir",
            str(self.cache),
            *args,
            stdin=asyncio.subprocess.PIPE if stdin is not None else None,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else None), 60)
        result = Result(process.returncode or 0, out.decode(), err.decode())
        if check and result.code != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.code}): {result.err}")
        return result

    async def json(self, *args: str) -> Any:
        return json.loads((await self(*args, "-o", "json")).out)


@pytest.fixture
async def kubectl(tmp_path: Path) -> AsyncIterator[Kubectl]:
    """A sandbox with the sample apps, served over HTTPS (kubectl sends tokens only there)."""
    cluster = SandboxCluster(with_samples=True, controller_options=FAST, tls=True)
    await cluster.start()
    try:
        await wait_for(lambda: all_rolled_out(cluster.store), what="the sample apps rolled out")
        yield Kubectl(cluster, cluster.write_kubeconfig(tmp_path / "kubeconfig"), tmp_path / "cache")
    finally:
        await cluster.stop()
    assert cluster.controllers is None or cluster.controllers.errors == []


async def test_kubectl_get_shows_the_sample_workloads_services_namespaces_ingress_and_events(
    kubectl: Kubectl,
) -> None:
    out = (await kubectl("get", "deploy,rs,pods,svc,ns,ing", "-n", "staging")).out
    assert "deployment.apps/api" in out and "deployment.apps/web" in out
    assert "replicaset.apps/api-" in out
    assert out.count("pod/api-") == 2 and "Running" in out
    assert "service/api" in out and "ClusterIP" in out
    assert "namespace/production" in out and "Active" in out
    assert "ingress.networking.k8s.io/web" in out and "web.staging.example.com" in out
    deploys = await kubectl.json("get", "deploy", "-A")
    ready = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d["status"]["readyReplicas"]
        for d in deploys["items"]
    }
    assert ready == {
        ("default", "nginx"): 2,
        ("kube-system", "coredns"): 2,
        ("staging", "api"): 2,
        ("staging", "web"): 2,
        ("production", "checkout"): 3,
        ("production", "payment"): 3,
    }
    lb = await kubectl.json("get", "svc", "checkout", "-n", "production")
    assert lb["status"]["loadBalancer"]["ingress"][0]["ip"].startswith("172.18.255.")
    events = (await kubectl("get", "events", "-n", "production")).out
    assert "ScalingReplicaSet" in events and "SuccessfulCreate" in events and "Started" in events
    nodes = (await kubectl("get", "nodes")).out
    assert "sandbox-worker" in nodes and "Ready" in nodes and "v1.32." in nodes


async def test_kubectl_set_image_then_rollout_status_waits_for_the_new_pods(kubectl: Kubectl) -> None:
    await kubectl("set", "image", "deploy/nginx", "nginx=nginx:1.26")
    status = await kubectl("rollout", "status", "deploy/nginx", "--timeout=30s")
    assert status.out.strip().endswith('deployment "nginx" successfully rolled out')
    images = {p["spec"]["containers"][0]["image"] for p in pods_of(kubectl.cluster.store, "nginx")}
    assert images == {"nginx:1.26"}


async def test_kubectl_rollout_undo_to_revision_1_makes_revision_3_reuse_revision_1s_replicaset(
    kubectl: Kubectl,
) -> None:
    store = kubectl.cluster.store
    [first] = replicasets_of(store, "api", "staging")
    await kubectl("set", "image", "deploy/api", "api=ghcr.io/klepaas/api:1.5.0", "-n", "staging")
    await kubectl("rollout", "status", "deploy/api", "-n", "staging", "--timeout=30s")
    history = (await kubectl("rollout", "history", "deploy/api", "-n", "staging")).out
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    assert "deploy ghcr.io/klepaas/api:1.4.2 (3f9c2a1)" in history

    await kubectl("rollout", "undo", "deploy/api", "-n", "staging", "--to-revision=1")
    await kubectl("rollout", "status", "deploy/api", "-n", "staging", "--timeout=30s")
    rss = replicasets_of(store, "api", "staging")
    assert len(rss) == 2
    [reused] = [rs for rs in rss if rs["metadata"]["uid"] == first["metadata"]["uid"]]
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert reused["spec"]["replicas"] == 2
    history = (await kubectl("rollout", "history", "deploy/api", "-n", "staging")).out
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]
    detail = (await kubectl("rollout", "history", "deploy/api", "-n", "staging", "--revision=3")).out
    assert "ghcr.io/klepaas/api:1.4.2" in detail


async def test_kubectl_rollout_restart_replaces_every_pod(kubectl: Kubectl) -> None:
    store = kubectl.cluster.store
    before = {p["metadata"]["name"] for p in pods_of(store, "web", "staging")}
    await kubectl("rollout", "restart", "deploy/web", "-n", "staging")
    await kubectl("rollout", "status", "deploy/web", "-n", "staging", "--timeout=30s")
    after = {p["metadata"]["name"] for p in pods_of(store, "web", "staging")}
    assert len(after) == 2 and before.isdisjoint(after)


async def test_kubectl_scale_changes_the_number_of_ready_pods(kubectl: Kubectl) -> None:
    await kubectl("scale", "deploy/payment", "-n", "production", "--replicas=5")
    await kubectl("rollout", "status", "deploy/payment", "-n", "production", "--timeout=30s")
    deploy = await kubectl.json("get", "deploy/payment", "-n", "production")
    assert (deploy["spec"]["replicas"], deploy["status"]["readyReplicas"]) == (5, 5)
    await kubectl("scale", "deploy/payment", "-n", "production", "--replicas=1")
    store = kubectl.cluster.store
    await wait_for(lambda: len(pods_of(store, "payment", "production")) == 1, what="one payment pod")


async def test_kubectl_logs_of_a_deployment_prints_the_last_lines_of_one_of_its_pods(
    kubectl: Kubectl,
) -> None:
    result = await kubectl("logs", "deploy/nginx", "--tail=3")
    lines = result.out.splitlines()
    assert len(lines) == 3
    chosen = re.search(r"using pod/(\S+)", result.err)
    pod_name = chosen.group(1) if chosen else pods_of(kubectl.cluster.store, "nginx")[0]["metadata"]["name"]
    full = (await kubectl("logs", pod_name, "--timestamps")).out.splitlines()
    assert full[0].split(" ", 1)[1].startswith("/docker-entrypoint.sh: ")
    assert set(lines) <= {line.split(" ", 1)[1] for line in full}  # logs only ever grow
    previous = await kubectl("logs", pod_name, "--previous", check=False)
    assert previous.code == 1
    assert f'previous terminated container "nginx" in pod "{pod_name}" not found' in previous.err


MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  namespace: default
  annotations:
    kubernetes.io/change-cause: first hello
spec:
  replicas: 2
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: hello
        image: ghcr.io/klepaas/hello:1.0
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: hello
  namespace: default
spec:
  selector: {app: hello}
  ports: [{name: http, port: 80, targetPort: http}]
"""


async def test_kubectl_apply_and_create_start_apps_whose_endpoints_fill_with_ready_pods(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    path = tmp_path / "hello.yaml"
    path.write_text(MANIFEST)
    applied = await kubectl("apply", "--validate=false", "-f", str(path))
    assert "deployment.apps/hello created" in applied.out and "service/hello created" in applied.out
    await kubectl("rollout", "status", "deploy/hello", "--timeout=30s")
    endpoints = await kubectl.json("get", "endpoints", "hello")
    assert len(endpoints["subsets"][0]["addresses"]) == 2
    assert endpoints["subsets"][0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    again = await kubectl("apply", "--validate=false", "-f", str(path))
    assert "deployment.apps/hello unchanged" in again.out

    created = await kubectl("create", "--validate=false", "-f", "-", stdin=MANIFEST.replace("hello", "hola"))
    assert "deployment.apps/hola created" in created.out
    await kubectl("rollout", "status", "deploy/hola", "--timeout=30s")
    duplicate = await kubectl(
        "create", "--validate=false", "-f", "-", stdin=MANIFEST.replace("hello", "hola"), check=False
    )
    assert duplicate.code != 0 and "AlreadyExists" in duplicate.err


async def test_kubectl_delete_cascades_to_replicasets_and_pods_unless_orphaned(kubectl: Kubectl) -> None:
    store = kubectl.cluster.store
    await kubectl("delete", "deploy/checkout", "-n", "production")
    assert replicasets_of(store, "checkout", "production") == []
    assert pods_of(store, "checkout", "production") == []
    [rs] = replicasets_of(store, "payment", "production")
    await kubectl("delete", "deploy/payment", "-n", "production", "--cascade=orphan")
    kept = (await kubectl("get", "rs", "-n", "production", "-o", "name")).out.split()
    assert kept == [f"replicaset.apps/{rs['metadata']['name']}"]
    assert len(pods_of(store, "payment", "production")) == 3


async def test_kubectl_rollout_status_fails_once_the_progress_deadline_is_exceeded(kubectl: Kubectl) -> None:
    await kubectl("patch", "deploy/web", "-n", "staging", "-p", '{"spec":{"progressDeadlineSeconds":1}}')
    await kubectl("set", "image", "deploy/web", "web=ghcr.io/klepaas/web:2.4.0-crash", "-n", "staging")
    result = await kubectl("rollout", "status", "deploy/web", "-n", "staging", "--timeout=30s", check=False)
    assert result.code == 1
    assert 'deployment "web" exceeded its progress deadline' in result.err
    pods = await kubectl.json("get", "pods", "-n", "staging", "-l", "app=web")
    crashed = {
        pod["metadata"]["name"]: cs["lastState"]["terminated"]
        for pod in pods["items"]
        for cs in pod["status"]["containerStatuses"]
        if cs["image"].endswith("-crash") and cs["lastState"]
    }
    assert crashed and all((t["reason"], t["exitCode"]) == ("Error", 1) for t in crashed.values())
    last_words = await kubectl("logs", next(iter(crashed)), "-n", "staging", "--previous", "--tail=1")
    assert last_words.out == "ConnectionRefusedError: [Errno 111] Connection refused\n"
