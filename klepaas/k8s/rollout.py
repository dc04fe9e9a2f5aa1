"""Following a deployment rollout: an async iterator of snapshots until it is done, failed or late.

Completion is decided exactly as `kubectl rollout status` decides it: the controller has observed
the latest spec (observedGeneration >= generation), every desired replica is updated, every
updated replica is available, and no old replicas are left. A rollout has failed when the
Progressing condition says ProgressDeadlineExceeded, or when pods of the *new* revision keep
failing: an image that cannot be pulled (ImagePullBackOff and its kin), or containers that crash
or are OOM-killed again and again (`failure_restarts` restarts). It has timed out when neither
happened within `timeout` seconds.

We do not poll. One watch on the deployment (by name) and one on its pods (by selector) run from
the resourceVersion of the initial reads; when a stream ends (the server's watch timeout, a
dropped connection) it is reopened from the last resourceVersion seen, and when that version has
expired (410) the state is read again and the watch restarts from there. A snapshot is yielded
only when something a person would notice changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from klepaas.errors import NotFound
from klepaas.k8s.errors import ResourceExpired
from klepaas.k8s.gateway import KubeGateway
from klepaas.k8s.models import Condition, Deployment, Pod, ReplicaSet

# A pod waiting for one of these will not get better without a new deployment.
FATAL_WAITING = frozenset(
    {
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
# ErrImagePull is retried by the kubelet; only its back-off means "keeps failing" ...
FATAL_AT_ONCE = FATAL_WAITING - {"ErrImagePull", "CreateContainerError", "RunContainerError"}
# ... unless the registry said the image is not there or not ours to pull: retrying changes
# nothing, and the pod only alternates between ErrImagePull and ImagePullBackOff from then on.
_IMAGE_MISSING = re.compile(
    r"\bnot found\b|manifest unknown|name unknown|unauthorized|access denied|insufficient_scope",
    re.IGNORECASE,
)
CRASH_REASONS = frozenset({"CrashLoopBackOff", "OOMKilled", "Error", "ContainerCannotRun"})
# Each watch stream is reopened at least this often (the server ends it; we resume).
WATCH_WINDOW_SECONDS = 60


@dataclass(frozen=True)
class PodProblem:
    """A pod of the new revision that is failing, and why."""

    pod: str
    container: str
    reason: str  # CrashLoopBackOff, ImagePullBackOff, OOMKilled, ErrImagePull, ...
    restarts: int = 0
    message: str = ""


@dataclass(frozen=True)
class RolloutSnapshot:
    name: str
    namespace: str
    revision: int | None
    desired: int
    updated: int
    ready: int
    available: int
    total: int  # all replicas, old and new
    # Conditions carry timestamps that move on every status write; they do not make a new snapshot.
    conditions: tuple[Condition, ...] = field(default=(), compare=False)
    failing_pods: tuple[PodProblem, ...] = ()
    done: bool = False
    failed: bool = False
    timed_out: bool = False
    message: str = ""
    elapsed: float = field(default=0.0, compare=False)

    @property
    def finished(self) -> bool:
        return self.done or self.failed or self.timed_out

    @property
    def old_replicas(self) -> int:
        return max(0, self.total - self.updated)


def pod_problems(pods: list[Pod]) -> list[PodProblem]:
    """What is wrong with each failing container of `pods` (one entry per container)."""
    problems: list[PodProblem] = []
    for pod in pods:
        if pod.meta.deleting:
            continue
        for status in pod.container_statuses:
            state, last = status.state, status.last_state
            reason, message = "", ""
            if (
                state
                and state.kind == "waiting"
                and (state.reason in FATAL_WAITING or state.reason == "CrashLoopBackOff")
            ):
                reason, message = state.reason, state.message
                if state.reason == "CrashLoopBackOff" and last and last.reason == "OOMKilled":
                    reason = "OOMKilled"
            elif state and state.kind == "terminated" and state.reason in CRASH_REASONS:
                reason, message = state.reason, state.message
            elif last and last.kind == "terminated" and last.reason in CRASH_REASONS and not status.ready:
                reason, message = last.reason, last.message
            if reason:
                problems.append(PodProblem(pod.name, status.name, reason, status.restart_count, message))
    return problems


def is_failing(problem: PodProblem, failure_restarts: int) -> bool:
    if problem.reason in FATAL_AT_ONCE:
        return True
    if problem.reason == "ErrImagePull" and _IMAGE_MISSING.search(problem.message or ""):
        return True
    return problem.reason in CRASH_REASONS and problem.restarts >= failure_restarts


def rollout_state(
    deployment: Deployment,
    new_pods: list[Pod],
    *,
    failure_restarts: int = 3,
) -> tuple[bool, bool, str, list[PodProblem]]:
    """(done, failed, message, problems) for a deployment and the pods of its new revision."""
    status = deployment.status
    desired = deployment.replicas
    problems = pod_problems(new_pods)
    name = f'deployment "{deployment.name}"'
    if deployment.meta.generation is not None and status.observed_generation < deployment.meta.generation:
        return False, False, "waiting for the deployment spec update to be observed", problems
    progressing = deployment.condition("Progressing")
    if progressing and progressing.reason == "ProgressDeadlineExceeded":
        return False, True, f"{name} exceeded its progress deadline", problems
    failing = [p for p in problems if is_failing(p, failure_restarts)]
    if failing:
        first = failing[0]
        return False, True, f"pod {first.pod} of the new revision: {first.reason}", problems
    if status.updated < desired:
        return False, False, f"{status.updated} of {desired} new replicas updated", problems
    if status.replicas > status.updated:
        return False, False, f"{status.replicas - status.updated} old replicas pending termination", problems
    if status.available < status.updated:
        return False, False, f"{status.available} of {status.updated} updated replicas available", problems
    return True, False, f"{name} successfully rolled out", problems


@dataclass
class _State:
    deployment: Deployment
    pods: dict[str, Pod]
    new_hash: str | None = None
    new_hash_revision: int | None = None


async def _new_hash(gateway: KubeGateway, deployment: Deployment) -> str | None:
    """The pod-template-hash of the deployment's current ReplicaSet (its revision's)."""
    if deployment.revision is None:
        return None
    sets = await gateway.list_replicasets(deployment.namespace, label_selector=deployment.label_selector)
    owned: list[ReplicaSet] = [rs for rs in sets.items if rs.owned_by(deployment)]
    match = next((rs for rs in owned if rs.revision == deployment.revision), None)
    return match.pod_template_hash if match else None


async def follow_rollout(
    gateway: KubeGateway,
    namespace: str,
    name: str,
    *,
    timeout: float,
    failure_restarts: int = 3,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[RolloutSnapshot]:
    """Snapshots of the rollout of deployment `name`, the first at once, then on every change;
    the last one has `finished` set. Raises the gateway's errors (NotFound, Unavailable...)."""
    started = clock()
    deadline = started + timeout
    deployment = await gateway.get_deployment(namespace, name)
    pods = await gateway.list_pods(namespace, label_selector=deployment.label_selector)
    state = _State(deployment, {p.name: p for p in pods.items})
    await _refresh_hash(gateway, state)

    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def pump(kind: str, resource_version: str) -> None:
        rv = resource_version
        quiet_ends = 0
        while True:
            opened = clock()
            got_events = False
            remaining = max(1, int(min(deadline - clock(), WATCH_WINDOW_SECONDS)) + 1)
            try:
                if kind == "deployment":
                    stream: AsyncIterator[Any] = gateway.watch_deployments(
                        namespace, name=name, resource_version=rv, timeout_seconds=remaining
                    )
                else:
                    stream = gateway.watch_pods(
                        namespace,
                        label_selector=state.deployment.label_selector,
                        resource_version=rv,
                        timeout_seconds=remaining,
                    )
                async with contextlib.aclosing(stream):  # type: ignore[type-var]
                    async for event in stream:
                        got_events = True
                        rv = event.resource_version or rv
                        if event.type != "BOOKMARK":
                            await queue.put((kind, event))
            except ResourceExpired:
                # Too far behind to resume: read the current state and watch from there.
                if kind == "deployment":
                    fresh = await gateway.get_deployment(namespace, name)
                    rv = fresh.meta.resource_version
                    await queue.put(("deployment-resync", fresh))
                else:
                    listed = await gateway.list_pods(
                        namespace, label_selector=state.deployment.label_selector
                    )
                    rv = listed.resource_version
                    await queue.put(("pods-resync", listed.items))
            except Exception as exc:  # handed to the consumer, which raises it
                await queue.put(("error", exc))
                return
            # A stream that ends at once with nothing in it, again and again, is a server that
            # cannot watch: back off instead of spinning.
            quiet_ends = 0 if got_events or clock() - opened > 1.0 else quiet_ends + 1
            if quiet_ends:
                await asyncio.sleep(min(0.05 * 2**quiet_ends, 2.0))

    tasks = [
        asyncio.create_task(
            pump("deployment", deployment.meta.resource_version), name=f"watch-deploy-{name}"
        ),
        asyncio.create_task(pump("pods", pods.resource_version), name=f"watch-pods-{name}"),
    ]
    try:
        last: RolloutSnapshot | None = None
        while True:
            now = clock()
            snapshot = _snapshot(state, failure_restarts, elapsed=now - started, timed_out=now >= deadline)
            if snapshot != last or snapshot.finished:
                yield snapshot
                last = snapshot
            if snapshot.finished:
                return
            try:
                kind, payload = await asyncio.wait_for(queue.get(), timeout=max(0.0, deadline - clock()))
            except TimeoutError:
                continue
            if kind == "error":
                raise payload
            revision_before = state.deployment.revision
            if kind == "deployment":
                if payload.type == "DELETED":
                    raise NotFound(f'deployment "{name}" was deleted during the rollout')
                state.deployment = payload.object
            elif kind == "deployment-resync":
                state.deployment = payload
            elif kind == "pods":
                pod: Pod = payload.object
                if payload.type == "DELETED":
                    state.pods.pop(pod.name, None)
                else:
                    state.pods[pod.name] = pod
            elif kind == "pods-resync":
                state.pods = {p.name: p for p in payload}
            if state.deployment.revision != revision_before or state.new_hash is None:
                await _refresh_hash(gateway, state)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _refresh_hash(gateway: KubeGateway, state: _State) -> None:
    revision = state.deployment.revision
    if revision is not None and revision == state.new_hash_revision and state.new_hash:
        return
    state.new_hash = await _new_hash(gateway, state.deployment)
    state.new_hash_revision = revision


def _snapshot(state: _State, failure_restarts: int, *, elapsed: float, timed_out: bool) -> RolloutSnapshot:
    d = state.deployment
    new_pods = [p for p in state.pods.values() if state.new_hash and p.pod_template_hash == state.new_hash]
    done, failed, message, problems = rollout_state(d, new_pods, failure_restarts=failure_restarts)
    timed_out = timed_out and not (done or failed)
    if timed_out:
        message = f"timed out after {elapsed:.0f}s: {message}"
    return RolloutSnapshot(
        name=d.name,
        namespace=d.namespace,
        revision=d.revision,
        desired=d.replicas,
        updated=d.status.updated,
        ready=d.status.ready,
        available=d.status.available,
        total=d.status.replicas,
        conditions=d.status.conditions,
        failing_pods=tuple(sorted(problems, key=lambda p: (p.pod, p.container))),
        done=done,
        failed=failed,
        timed_out=timed_out,
        message=message,
        elapsed=elapsed,
    )
