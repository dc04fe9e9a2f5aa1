"""kubectl against the sandbox, for what is purely API-level: get, create -f, delete."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from klepaas.k8s.sandbox.auth import Rule
from klepaas.k8s.sandbox.cluster import SandboxCluster

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
pytestmark = [
    pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed"),
    pytest.mark.sandbox(tls=True),
]

MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.25", ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
"""


class Kubectl:
    def __init__(self, kubeconfig: Path, cache: Path) -> None:
        self.base = [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache)]

    async def __call__(self, *args: str, ok: bool = True) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            *self.base,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"HOME": str(Path(self.base[4]).parent), "PATH": "/usr/bin:/bin"},
        )
        out, err = await asyncio.wait_for(process.communicate(), 30)
        code = process.returncode or 0
        if ok:
            assert code == 0, f"kubectl {' '.join(args)} failed ({code}): {err.decode()}"
        return code, out.decode(), err.decode()


@pytest.fixture
def kubectl(kubeconfig_path: Path, tmp_path: Path) -> Kubectl:
    return Kubectl(kubeconfig_path, tmp_path / "cache")


async def test_kubectl_creates_lists_and_deletes_from_a_manifest(
    sandbox: SandboxCluster, kubectl: Kubectl, tmp_path: Path
) -> None:
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(MANIFEST)

    _, created, _ = await kubectl("create", "-f", str(manifest))
    _, listed, _ = await kubectl("get", "ns,svc,ing", "-A")
    _, as_json, _ = await kubectl("get", "deploy", "-n", "shop", "-o", "json")
    _, deleted, _ = await kubectl("delete", "-f", str(manifest))
    code, _, missing = await kubectl("get", "deploy", "web", "-n", "shop", ok=False)

    assert created.splitlines() == [
        "namespace/shop created",
        "deployment.apps/web created",
        "service/web created",
        "ingress.networking.k8s.io/web created",
    ]
    lines = [line.split() for line in listed.splitlines()]
    assert ["NAME", "STATUS", "AGE"] in lines and any(
        line[:2] == ["namespace/shop", "Active"] for line in lines
    )
    assert any(line[:3] == ["shop", "service/web", "ClusterIP"] for line in lines)
    assert any(
        line[:5] == ["shop", "ingress.networking.k8s.io/web", "nginx", "shop.example.com", "80"]
        for line in lines
        if len(line) >= 5
    )
    document = json.loads(as_json)
    assert document["kind"] == "List" and [d["metadata"]["name"] for d in document["items"]] == ["web"]
    assert 'deployment.apps "web" deleted' in deleted and 'namespace "shop" deleted' in deleted
    assert code == 1 and missing.strip() == 'Error from server (NotFound): namespaces "shop" not found'


async def test_kubectl_prints_the_servers_error_messages(sandbox: SandboxCluster, kubectl: Kubectl) -> None:
    code, _, err = await kubectl("get", "deploy", "ghost", ok=False)

    assert code == 1 and err.strip() == 'Error from server (NotFound): deployments.apps "ghost" not found'


async def test_kubectl_sees_a_forbidden_user(sandbox: SandboxCluster, tmp_path: Path) -> None:
    token = sandbox.auth.add_user("bob")
    config = sandbox.write_kubeconfig(tmp_path / "bob.kubeconfig", token=token, user="bob")
    kubectl = Kubectl(config, tmp_path / "bob-cache")

    code, _, err = await kubectl("get", "pods", "-n", "production", ok=False)

    assert code == 1
    assert err.strip().endswith(
        'pods is forbidden: User "bob" cannot list resource "pods" in API group "" '
        'in the namespace "production"'
    )


async def test_kubectl_create_generators_send_protobuf_that_the_sandbox_reads(
    sandbox: SandboxCluster, kubectl: Kubectl
) -> None:
    await kubectl("create", "namespace", "gen")
    await kubectl(
        "create", "deployment", "web", "-n", "gen", "--image=nginx:1.25", "--replicas=2", "--port=80"
    )
    await kubectl("create", "service", "nodeport", "web", "-n", "gen", "--tcp=80:8080", "--node-port=30080")
    await kubectl(
        "create", "ingress", "web", "-n", "gen", "--class=nginx", "--rule=web.example.com/api*=web:80"
    )

    _, as_json, _ = await kubectl("get", "deploy,svc,ing", "-n", "gen", "-o", "json")

    deploy, svc, ing = json.loads(as_json)["items"]
    assert deploy["spec"]["replicas"] == 2 and deploy["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert deploy["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}
    ]
    assert svc["spec"]["type"] == "NodePort" and svc["spec"]["ports"][0]["nodePort"] == 30080
    assert svc["spec"]["ports"][0]["targetPort"] == 8080
    assert ing["spec"]["rules"][0]["http"]["paths"][0] == {
        "path": "/api",
        "pathType": "Prefix",
        "backend": {"service": {"name": "web", "port": {"number": 80}}},
    }


async def test_kubectl_auth_can_i_asks_the_sandbox_rules(sandbox: SandboxCluster, tmp_path: Path) -> None:
    token = sandbox.auth.add_user("bob")
    sandbox.auth.bind_role("bob", "view", namespaces=["prod"])
    sandbox.auth.grant("bob", Rule(("patch",), ("deployments/scale",), ("apps",), ("prod",)))
    kubectl = Kubectl(
        sandbox.write_kubeconfig(tmp_path / "bob.kubeconfig", token=token, user="bob"), tmp_path / "bob-cache"
    )

    answers = [
        (await kubectl("auth", "can-i", *question, ok=False))[1].strip()
        for question in (
            ("list", "pods", "-n", "prod"),
            ("delete", "pods", "-n", "prod"),
            ("list", "pods", "-n", "staging"),
            ("patch", "deployments.apps/web", "--subresource=scale", "-n", "prod"),
            ("patch", "deployments.apps/web", "-n", "prod"),
        )
    ]

    assert answers == ["yes", "no", "no", "yes", "no"]


async def test_kubectl_strict_validation_reports_unknown_fields(
    sandbox: SandboxCluster, kubectl: Kubectl, tmp_path: Path
) -> None:
    manifest = tmp_path / "typo.yaml"
    manifest.write_text(
        MANIFEST.split("---\n")[1]
        .replace("namespace: shop", "namespace: default")
        .replace("replicas: 2", "replicass: 2")
    )

    code, _, err = await kubectl("create", "-f", str(manifest), ok=False)

    assert code == 1
    assert (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.replicass"' in err
    )
