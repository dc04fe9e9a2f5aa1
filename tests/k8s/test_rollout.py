"""Following rollouts: kubectl's completion rule, failures of the new revision, timeouts, and
watches that drop or expire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from klepaas.errors import NotFound
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.errors import ResourceExpired
from klepaas.k8s.gateway import KubernetesGateway
from klepaas.k8s.models import parse_deployment, parse_pod
from klepaas.k8s.rollout import PodProblem, RolloutSnapshot, follow_rollout, pod_problems, rollout_state
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from tests.k8s.gateway_helpers import RequestSpy, clusters_for, samples_ready, wait_for

pytestmark = pytest.mark.sandbox(samples=True)


@pytest.fixture
async def gateway(kubeconfig_path: Path, sandbox: SandboxCluster) -> AsyncIterator[KubernetesGateway]:
    clusters: KubeClusters = clusters_for(kubeconfig_path)
    await samples_ready(sandbox)
    gw = clusters.get()
    assert isinstance(gw, KubernetesGateway)
    try:
        yield gw
    finally:
        clusters.close()


async def _set_image(gw: KubernetesGateway, image: str, name: str = "nginx") -> None:
    await gw.patch_deployment(
        "default", name, {"spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}}}
    )


async def _follow(gw: KubernetesGateway, timeout: float = 10.0) -> list[RolloutSnapshot]:
    return [s async for s in follow_rollout(gw, "default", "nginx", timeout=timeout)]


# ---- against the sandbox ----------------------------------------------------------------------


async def test_a_new_image_rolls_out_and_the_last_snapshot_is_done(gateway: KubernetesGateway) -> None:
    await _set_image(gateway, "nginx:1.27")

    snapshots = await _follow(gateway)

    last = snapshots[-1]
    assert (last.done, last.failed, last.timed_out) == (True, False, False)
    assert (last.desired, last.updated, last.available, last.total, last.revision) == (2, 2, 2, 2, 2)
    assert last.message == 'deployment "nginx" successfully rolled out'
    assert not any(s.finished for s in snapshots[:-1])
    assert len(snapshots) > 1  # progress was reported on the way


async def test_a_finished_rollout_reports_done_at_once(gateway: KubernetesGateway) -> None:
    snapshots = await _follow(gateway)

    assert [(s.done, s.message) for s in snapshots] == [(True, 'deployment "nginx" successfully rolled out')]


async def test_a_crash_looping_new_revision_fails_the_rollout_with_the_reason(
    gateway: KubernetesGateway,
) -> None:
    await _set_image(gateway, "nginx:1.27-crash")

    last = (await _follow(gateway))[-1]

    assert (last.done, last.failed) == (False, True)
    assert last.failing_pods and all(p.reason == "CrashLoopBackOff" for p in last.failing_pods[-1:])
    assert last.failing_pods[0].restarts >= 3
    assert last.message.endswith("of the new revision: CrashLoopBackOff")
    assert last.available == 2  # the old pods keep serving


async def test_an_oom_killed_new_revision_fails_with_oomkilled(gateway: KubernetesGateway) -> None:
    await _set_image(gateway, "nginx:oom")

    last = (await _follow(gateway))[-1]

    assert last.failed
    assert {p.reason for p in last.failing_pods} == {"OOMKilled"}


async def test_an_image_that_cannot_be_pulled_fails_the_rollout(gateway: KubernetesGateway) -> None:
    await _set_image(gateway, "nginx:missing")

    last = (await _follow(gateway))[-1]

    assert last.failed  # at the first pull error: the registry said the image is not there
    assert last.failing_pods[0].reason == "ErrImagePull"
    assert "not found" in last.failing_pods[0].message


async def test_a_rollout_that_does_not_finish_in_time_times_out(gateway: KubernetesGateway) -> None:
    await _set_image(gateway, "nginx:1.27-crash")  # crashes, but we tolerate many restarts here

    snapshots = [
        s async for s in follow_rollout(gateway, "default", "nginx", timeout=0.5, failure_restarts=1000)
    ]

    last = snapshots[-1]
    assert (last.done, last.failed, last.timed_out) == (False, False, True)
    assert last.message.startswith("timed out after")


async def test_dropped_watch_streams_are_resumed_and_the_rollout_still_completes(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    sandbox.faults.drop_watches(after_events=1)
    spy = RequestSpy(gateway)
    await _set_image(gateway, "nginx:1.27")

    last = (await _follow(gateway))[-1]

    assert last.done
    watches = [q for _, path, q in spy.requests if q.get("watch") == ["true"]]
    assert len(watches) > 2  # streams were reopened ...
    assert all(q.get("resourceVersion") for q in watches)  # ... each from a resourceVersion, not from scratch


async def test_an_expired_watch_is_replaced_by_a_fresh_read(
    gateway: KubernetesGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_watch = gateway.watch_deployments
    opened: list[str | None] = []

    def expiring_watch(namespace: str, **kwargs: Any) -> AsyncIterator[Any]:
        opened.append(kwargs.get("resource_version"))
        if len(opened) == 1:

            async def expired() -> AsyncIterator[Any]:
                raise ResourceExpired("too old")
                yield  # pragma: no cover

            return expired()
        return real_watch(namespace, **kwargs)

    monkeypatch.setattr(gateway, "watch_deployments", expiring_watch)
    spy = RequestSpy(gateway)
    await _set_image(gateway, "nginx:1.27")

    last = (await _follow(gateway))[-1]

    assert last.done
    reads = [
        r
        for r in spy.requests
        if r[0] == "GET" and r[1] == "/apis/apps/v1/namespaces/default/deployments/nginx"
    ]
    assert len(reads) == 2  # the first read, and the read after the watch expired
    assert len(opened) >= 2 and all(opened)  # the watch restarted from a resourceVersion


async def test_a_deployment_deleted_during_the_rollout_is_not_found(
    gateway: KubernetesGateway, sandbox: SandboxCluster
) -> None:
    await _set_image(gateway, "nginx:1.27-crash")
    stream = follow_rollout(gateway, "default", "nginx", timeout=10)
    await anext(stream)  # type: ignore[arg-type]
    await wait_for(lambda: len(sandbox.store._watchers) >= 2, what="the rollout's two watches to open")
    sandbox.store.delete(BY_KIND["Deployment"], "default", "nginx")

    with pytest.raises(NotFound, match="was deleted"):
        async for _ in stream:
            pass


# ---- the completion rule, without a cluster ---------------------------------------------------


def _deployment(
    *,
    generation: int = 2,
    observed: int = 2,
    replicas: int = 3,
    updated: int = 3,
    total: int = 3,
    available: int = 3,
    progressing_reason: str = "NewReplicaSetAvailable",
) -> Any:
    return parse_deployment(
        {
            "metadata": {
                "name": "api",
                "namespace": "staging",
                "generation": generation,
                "annotations": {"deployment.kubernetes.io/revision": "2"},
            },
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}}},
            "status": {
                "observedGeneration": observed,
                "replicas": total,
                "updatedReplicas": updated,
                "availableReplicas": available,
                "readyReplicas": available,
                "conditions": [{"type": "Progressing", "status": "True", "reason": progressing_reason}],
            },
        }
    )


@pytest.mark.parametrize(
    ("deployment", "done", "failed", "message"),
    [
        (_deployment(), True, False, 'deployment "api" successfully rolled out'),
        (_deployment(observed=1), False, False, "waiting for the deployment spec update to be observed"),
        (_deployment(updated=1, total=4), False, False, "1 of 3 new replicas updated"),
        (_deployment(total=4), False, False, "1 old replicas pending termination"),
        (_deployment(available=2), False, False, "2 of 3 updated replicas available"),
        (
            _deployment(progressing_reason="ProgressDeadlineExceeded", available=1),
            False,
            True,
            'deployment "api" exceeded its progress deadline',
        ),
    ],
)
def test_completion_follows_kubectl_rollout_status(
    deployment: Any, done: bool, failed: bool, message: str
) -> None:
    assert rollout_state(deployment, []) == (done, failed, message, [])


def _pod(state: dict[str, Any], restarts: int = 0, last: dict[str, Any] | None = None) -> Any:
    return parse_pod(
        {
            "metadata": {"name": "api-1", "namespace": "staging"},
            "spec": {"containers": [{"name": "api", "image": "api:2"}]},
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "api",
                        "image": "api:2",
                        "ready": False,
                        "restartCount": restarts,
                        "state": state,
                        "lastState": last or {},
                    }
                ],
            },
        }
    )


def test_one_crash_is_a_problem_but_not_yet_a_failure() -> None:
    pods = [_pod({"waiting": {"reason": "CrashLoopBackOff"}}, restarts=1)]

    done, failed, _, problems = rollout_state(_deployment(available=2), pods, failure_restarts=3)

    assert (done, failed) == (False, False)
    assert problems == [PodProblem("api-1", "api", "CrashLoopBackOff", 1)]


def test_a_crash_loop_after_an_oom_kill_is_reported_as_oomkilled() -> None:
    pod = _pod(
        {"waiting": {"reason": "CrashLoopBackOff"}},
        restarts=4,
        last={"terminated": {"reason": "OOMKilled", "exitCode": 137}},
    )

    assert pod_problems([pod]) == [PodProblem("api-1", "api", "OOMKilled", 4)]


def test_an_unpullable_image_fails_at_once() -> None:
    pods = [_pod({"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}})]

    _, failed, message, _ = rollout_state(_deployment(available=2), pods)

    assert failed
    assert message == "pod api-1 of the new revision: ImagePullBackOff"


@pytest.mark.parametrize(
    ("message", "failed"),
    [
        ('failed to resolve reference "ghcr.io/acme/api:9": ghcr.io/acme/api:9: not found', True),
        ("rpc error: code = Unknown desc = manifest unknown: manifest unknown", True),
        ("pull access denied for acme/api, repository does not exist or may require 'docker login'", True),
        ("failed to authorize: failed to fetch anonymous token: 401 Unauthorized", True),
        ("rpc error: code = Unknown desc = context deadline exceeded", False),
        ("dial tcp: lookup registry.example.com: i/o timeout", False),
    ],
)
def test_a_pull_error_fails_at_once_only_when_the_registry_says_the_image_is_not_to_be_had(
    message: str, failed: bool
) -> None:
    pods = [_pod({"waiting": {"reason": "ErrImagePull", "message": message}})]

    _, is_failed, _, problems = rollout_state(_deployment(available=2), pods)

    assert is_failed is failed
    assert [p.reason for p in problems] == ["ErrImagePull"]
