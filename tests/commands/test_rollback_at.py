"""`rollback NAME --at TIME | --ago 3d`: the revision live at that moment, on stated evidence.

Through the pipeline (real kubernetes client, SQLite deployment log) against the sandbox, read
back with real kubectl. The history is made "days old" by moving the times the cluster and the
log keep (the ReplicaSets' creationTimestamp, the log rows' `at`), as if it had happened then.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Request
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Fields, Result
from klepaas.commands.services import Services, build_services
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KEY
from tests.commands.conftest import sandbox_settings
from tests.commands.test_kubectl_agreement import KUBECTL, Kubectl, twin

pytestmark = [
    pytest.mark.skipif(not KUBECTL, reason="kubectl is not installed at /usr/bin/kubectl"),
    pytest.mark.sandbox(tls=True),
]

ME = Actor(id="U-jane", source="console", name="jane")
APP, OUTSIDE = "twin-klepaas", "twin-kubectl"  # changed by klepaas / by kubectl only
NOW = datetime.now(UTC)


class Approver:
    """Approves (or not) and keeps the preview it was shown."""

    def __init__(self, approve: bool) -> None:
        self.approve = approve
        self.previews: list[Result] = []

    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        assert preview is not None
        self.previews.append(preview)
        return self.approve


@pytest.fixture
def kubectl(kubeconfig_path: Path, tmp_path: Path) -> Kubectl:
    return Kubectl(kubeconfig_path, tmp_path / "kubectl-cache")


@pytest.fixture
async def services(kubeconfig_path: Path, tmp_path: Path, kubectl: Kubectl) -> AsyncIterator[Services]:
    await kubectl("apply", "-f", "-", stdin="\n".join(json.dumps(twin(n)) for n in (APP, OUTSIDE)))
    built = await build_services(sandbox_settings(kubeconfig_path, tmp_path / "audit.db"))
    try:
        yield built
    finally:
        await built.close()


async def handle(services: Services, line: str, approver: Approver) -> Result:
    outcome = await services.pipeline().handle(Request(actor=ME, text=line), approver)
    return outcome.result


async def rolled_out(kubectl: Kubectl, name: str) -> None:
    status = await kubectl("rollout", "status", f"deploy/{name}", "--timeout=30s")
    assert "successfully rolled out" in status


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def age_cluster(sandbox: SandboxCluster, name: str, created: dict[int, datetime], born: datetime) -> None:
    """Give the deployment and each revision's ReplicaSet the creation time it would have had."""
    store = sandbox.store
    store.peek(BY_KEY["deployments.apps"], "default", name)["metadata"]["creationTimestamp"] = stamp(born)
    for rs in store.list(BY_KEY["replicasets.apps"], "default"):
        meta = rs["metadata"]
        history = meta.get("annotations", {}).get("deployment.kubernetes.io/revision-history", "")
        first = min(
            int(n)
            for n in [meta["annotations"]["deployment.kubernetes.io/revision"], *history.split(",")]
            if str(n).strip()
        )
        if meta["name"].startswith(f"{name}-") and first in created:
            meta["creationTimestamp"] = stamp(created[first])


def age_log(services: Services, name: str, moments: list[datetime]) -> None:
    """Give the app's deployment-log rows (oldest first) these times."""
    with services.storage.engine.begin() as connection:
        ids = (
            connection.execute(
                text("SELECT id FROM deployment_record WHERE app = :app ORDER BY id"), {"app": name}
            )
            .scalars()
            .all()
        )
        assert len(ids) == len(moments)
        for row, moment in zip(ids, moments, strict=True):
            connection.execute(
                text("UPDATE deployment_record SET at = :at WHERE id = :id"), {"at": moment, "id": row}
            )


def fields(result: Result) -> dict[str, str]:
    return {k: v for block in result.blocks if isinstance(block, Fields) for k, v in block.items}


@pytest.fixture
async def history(services: Services, kubectl: Kubectl, sandbox: SandboxCluster) -> None:
    """APP: nginx:1.25 five days ago (kubectl), 1.26 three days ago and 1.27 yesterday (klepaas)."""
    for image in ("nginx:1.26", "nginx:1.27"):
        result = await handle(services, f"deploy {APP} {image}", Approver(True))
        assert result.ok, result.summary
        await rolled_out(kubectl, APP)
    born = NOW - timedelta(days=5)
    created = {1: born, 2: NOW - timedelta(days=3), 3: NOW - timedelta(days=1)}
    age_cluster(sandbox, APP, created, born)
    age_log(services, APP, [created[2], created[3]])


async def test_the_preview_names_the_revision_live_then_its_image_and_the_evidence(
    services: Services, history: None
) -> None:
    approver = Approver(False)
    await handle(services, f"rollback {APP} --ago 2d", approver)

    [preview] = approver.previews
    assert preview.ok
    assert (preview.data["to_revision"], preview.data["to_images"]) == (2, ["nginx:1.26"])
    assert preview.data["at"]["evidence"] == "deployment_log"
    assert preview.data["at"]["revision_then"] == 2
    chosen = fields(preview)["Chosen by time"]
    assert "revision 2 (nginx:1.26)" in chosen
    assert "klepaas deployment log: deploy" in chosen and "replaced by revision 3" in chosen
    assert fields(preview)["Images"] == "nginx:1.27 → nginx:1.26"


async def test_rolling_back_to_two_days_ago_runs_the_image_of_then_as_kubectl_shows(
    services: Services, kubectl: Kubectl, history: None
) -> None:
    moment = stamp(NOW - timedelta(days=2))
    result = await handle(services, f"rollback {APP} --at {moment}", Approver(True))
    assert result.ok, result.summary
    await rolled_out(kubectl, APP)

    deployment = await kubectl.json("get", "deploy", APP)
    assert [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]] == ["nginx:1.26"]
    assert deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"
    listed = await kubectl("rollout", "history", f"deploy/{APP}")
    assert [line.split()[0] for line in listed.splitlines()[2:] if line.strip()] == ["1", "3", "4"]

    # the same moment again: what was live then is what runs now
    again = await handle(services, f"rollback {APP} --at {moment}", Approver(True))
    assert not again.ok
    assert "already runs what was live" in again.summary

    # half a day ago: revision 3 (1.27), replaced by the rollback just now, dated by its log row
    approver = Approver(False)
    await handle(services, f"rollback {APP} --ago 12h", approver)
    assert approver.previews[0].data["to_images"] == ["nginx:1.27"]
    assert approver.previews[0].data["at"]["revision_then"] == 3


async def test_a_moment_before_the_app_existed_is_refused(services: Services, history: None) -> None:
    result = await handle(services, f"rollback {APP} --ago 10d", Approver(True))
    assert not result.ok
    assert "did not exist yet" in result.summary


async def test_a_rollback_made_outside_klepaas_makes_later_moments_unknowable(
    services: Services, kubectl: Kubectl, sandbox: SandboxCluster
) -> None:
    for image in ("nginx:1.26", "nginx:1.27"):
        await kubectl("set", "image", f"deploy/{OUTSIDE}", f"app={image}")
        await rolled_out(kubectl, OUTSIDE)
    await kubectl("rollout", "undo", f"deploy/{OUTSIDE}", "--to-revision=1")  # rev 1 re-used as 4
    await rolled_out(kubectl, OUTSIDE)
    born = NOW - timedelta(days=5)
    age_cluster(sandbox, OUTSIDE, {1: born, 2: NOW - timedelta(days=3), 3: NOW - timedelta(days=1)}, born)

    unknowable = await handle(services, f"rollback {OUTSIDE} --ago 1h", Approver(True))
    assert not unknowable.ok
    assert "Cannot tell which revision" in unknowable.summary
    assert "revision 4" in unknowable.summary

    # before that undo, the ReplicaSets' creation times say it: revision 2 (1.26), two days ago
    approver = Approver(False)
    await handle(services, f"rollback {OUTSIDE} --ago 2d", approver)
    [preview] = approver.previews
    assert (preview.data["to_revision"], preview.data["to_images"]) == (2, ["nginx:1.26"])
    assert preview.data["at"]["evidence"] == "replicaset"
    images = await kubectl(
        "get", "deploy", OUTSIDE, "-o", "jsonpath={.spec.template.spec.containers[*].image}"
    )
    assert images == "nginx:1.25"  # a preview changes nothing
