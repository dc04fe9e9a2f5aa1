"""kubectl agrees with klepaas: restart, deploy and rollback through the pipeline leave a deployment
exactly as `kubectl rollout restart`, `kubectl set image` and `kubectl rollout undo` leave its twin.

Two identical deployments are made with kubectl; kubectl changes one, klepaas (the pipeline with an
approver that approves, the real kubernetes client) changes the other, and real kubectl reads both
back: revisions in `kubectl rollout history`, replica sets in `kubectl get rs` (the old one reused by
a rollback), the pod template's annotations and images in `kubectl get deploy`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Request
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.commands.services import Services, build_services
from klepaas.k8s.models import RESTARTED_AT_ANNOTATION
from tests.commands.conftest import sandbox_settings

KUBECTL = shutil.which("kubectl", path="/usr/bin") or ""

pytestmark = [
    pytest.mark.skipif(not KUBECTL, reason="kubectl is not installed at /usr/bin/kubectl"),
    pytest.mark.sandbox(tls=True),  # kubectl sends its bearer token only over TLS
]

ME = Actor(id="U-jane", source="console", name="jane")
BY_KUBECTL, BY_KLEPAAS = "twin-kubectl", "twin-klepaas"


class Yes:
    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        return True


@dataclass
class Kubectl:
    kubeconfig: Path
    cache: Path

    async def __call__(self, *args: str, stdin: str | None = None) -> str:
        """Run kubectl without blocking the event loop the sandbox serves on; fail on a non-zero exit."""
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
        assert process.returncode == 0, f"kubectl {' '.join(args)} failed: {err.decode()}"
        return out.decode()

    async def json(self, *args: str) -> Any:
        return json.loads(await self(*args, "-o", "json"))


def twin(name: str) -> dict[str, Any]:
    labels = {"app": name, "twin": "yes"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
            },
        },
    }


@pytest.fixture
def kubectl(kubeconfig_path: Path, tmp_path: Path) -> Kubectl:
    return Kubectl(kubeconfig_path, tmp_path / "kubectl-cache")


@pytest.fixture
async def services(kubeconfig_path: Path, tmp_path: Path, kubectl: Kubectl) -> AsyncIterator[Services]:
    manifests = "\n".join(json.dumps(twin(name)) for name in (BY_KUBECTL, BY_KLEPAAS))  # a JSON stream
    await kubectl("apply", "-f", "-", stdin=manifests)
    await rolled_out(kubectl)
    built = await build_services(sandbox_settings(kubeconfig_path, tmp_path / "audit.db"))
    try:
        yield built
    finally:
        await built.close()


async def rolled_out(kubectl: Kubectl) -> None:
    for name in (BY_KUBECTL, BY_KLEPAAS):
        status = await kubectl("rollout", "status", f"deploy/{name}", "--timeout=30s")
        assert status.strip().endswith(f'deployment "{name}" successfully rolled out')


async def klepaas(services: Services, text: str) -> None:
    outcome = await services.pipeline().handle(Request(actor=ME, text=text), Yes())
    assert outcome.ok, outcome.result.summary
    assert outcome.rollout is not None and outcome.rollout.name == BY_KLEPAAS


@dataclass(frozen=True)
class Shape:
    """What kubectl shows of a deployment, without its name, uids and times."""

    revision: str
    history: list[int]  # revisions listed by `kubectl rollout history`
    replicasets: list[tuple[int, str, int]]  # (revision, image, replicas) of `kubectl get rs`
    images: str  # `kubectl get deploy -o jsonpath={.spec.template.spec.containers[*].image}`
    template_annotations: list[str]  # their keys (the values are times)


async def shape(kubectl: Kubectl, name: str) -> Shape:
    history = await kubectl("rollout", "history", f"deploy/{name}")
    sets = await kubectl.json("get", "rs", "-l", f"app={name}")
    annotations = await kubectl.json("get", "deploy", name)
    template = annotations["spec"]["template"]["metadata"].get("annotations") or {}
    return Shape(
        revision=await kubectl(
            "get",
            "deploy",
            name,
            "-o",
            r"jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}",
        ),
        history=[int(line.split()[0]) for line in history.splitlines()[2:] if line.strip()],
        replicasets=sorted(
            (
                int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]),
                rs["spec"]["template"]["spec"]["containers"][0]["image"],
                rs["spec"]["replicas"],
            )
            for rs in sets["items"]
        ),
        images=await kubectl(
            "get", "deploy", name, "-o", "jsonpath={.spec.template.spec.containers[*].image}"
        ),
        template_annotations=sorted(template),
    )


async def restarted_at(kubectl: Kubectl, name: str) -> datetime:
    value = await kubectl(
        "get",
        "deploy",
        name,
        "-o",
        r"jsonpath={.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}",
    )
    return datetime.fromisoformat(value)  # RFC 3339, as kubectl writes it


async def replicaset_uids(kubectl: Kubectl, name: str) -> dict[int, str]:
    sets = await kubectl.json("get", "rs", "-l", f"app={name}")
    return {
        int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]): rs["metadata"]["uid"]
        for rs in sets["items"]
    }


async def test_restart_deploy_and_rollback_leave_what_kubectl_would_have_left(
    services: Services, kubectl: Kubectl
) -> None:
    # restart: a new revision whose pod template carries kubectl's restartedAt annotation
    await kubectl("rollout", "restart", f"deploy/{BY_KUBECTL}")
    await klepaas(services, f"restart {BY_KLEPAAS}")
    await rolled_out(kubectl)
    restarted = await shape(kubectl, BY_KUBECTL)
    assert restarted == Shape(
        revision="2",
        history=[1, 2],
        replicasets=[(1, "nginx:1.25", 0), (2, "nginx:1.25", 2)],
        images="nginx:1.25",
        template_annotations=[RESTARTED_AT_ANNOTATION],
    )
    assert await shape(kubectl, BY_KLEPAAS) == restarted
    assert (await restarted_at(kubectl, BY_KLEPAAS)).tzinfo is not None
    restart_set = await replicaset_uids(kubectl, BY_KLEPAAS)

    # deploy an image: what `kubectl set image` does
    await kubectl("set", "image", f"deploy/{BY_KUBECTL}", "app=nginx:1.27")
    await klepaas(services, f"deploy {BY_KLEPAAS} nginx:1.27")
    await rolled_out(kubectl)
    deployed = await shape(kubectl, BY_KUBECTL)
    assert deployed == Shape(
        revision="3",
        history=[1, 2, 3],
        replicasets=[(1, "nginx:1.25", 0), (2, "nginx:1.25", 0), (3, "nginx:1.27", 2)],
        images="nginx:1.27",
        template_annotations=[RESTARTED_AT_ANNOTATION],
    )
    assert await shape(kubectl, BY_KLEPAAS) == deployed

    # roll back: the previous revision's replica set comes back as revision 4, no new one is made
    await kubectl("rollout", "undo", f"deploy/{BY_KUBECTL}")
    await klepaas(services, f"rollback {BY_KLEPAAS}")
    await rolled_out(kubectl)
    rolled_back = await shape(kubectl, BY_KUBECTL)
    assert rolled_back == Shape(
        revision="4",
        history=[1, 3, 4],
        replicasets=[(1, "nginx:1.25", 0), (3, "nginx:1.27", 0), (4, "nginx:1.25", 2)],
        images="nginx:1.25",
        template_annotations=[RESTARTED_AT_ANNOTATION],
    )
    assert await shape(kubectl, BY_KLEPAAS) == rolled_back
    assert (await replicaset_uids(kubectl, BY_KLEPAAS))[4] == restart_set[2]


async def test_kubectl_rollout_history_shows_why_klepaas_made_each_revision(
    services: Services, kubectl: Kubectl
) -> None:
    await klepaas(services, f"restart {BY_KLEPAAS}")
    await rolled_out(kubectl)
    await klepaas(services, f"deploy {BY_KLEPAAS} nginx:1.27")
    await rolled_out(kubectl)
    await klepaas(services, f"rollback {BY_KLEPAAS} 1")
    await rolled_out(kubectl)

    history = await kubectl("rollout", "history", f"deploy/{BY_KLEPAAS}")

    rows = [line.split(None, 1) for line in history.splitlines()[2:] if line.strip()]
    assert rows == [
        ["2", "restart via klepaas by jane (console)"],
        ["3", "deploy nginx:1.27 via klepaas by jane (console)"],
        ["4", "rollback to revision 1 via klepaas by jane (console)"],
    ]
    detail = await kubectl("rollout", "history", f"deploy/{BY_KLEPAAS}", "--revision=4")
    assert detail.startswith(f"deployment.apps/{BY_KLEPAAS} with revision #4\n")
    assert "kubernetes.io/change-cause: rollback to revision 1 via klepaas by jane (console)\n" in detail
    assert "    Image:\tnginx:1.25\n" in detail  # revision 1's template came back
