"""The cluster watcher: pods and deployments in every namespace, and the problems they show.

List, then watch from the list's resourceVersion. A stream the server ends (its timeout) or that
drops is resumed from the last resourceVersion seen, so nothing is replayed; a version too old to
resume (410 Gone → `ResourceExpired`) means list again. Every object is judged on its own:

- a pod's container in CrashLoopBackOff (reported as OOMKilled when it was OOM-killed) after
  `crash_restarts` restarts, in ImagePullBackOff / ErrImagePull, or the pod unschedulable;
- a deployment whose Progressing condition says ProgressDeadlineExceeded.

`on_change(problem, active)` is called when an object starts or stops showing a problem (not on
every status write, and not on every restart): `active` False means the problem is gone. The
watcher keeps state only for objects that have a problem, so it holds large clusters cheaply.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from klepaas.errors import KlepaasError
from klepaas.k8s.errors import ResourceExpired
from klepaas.k8s.gateway import KubeGateway
from klepaas.k8s.models import Deployment, Pod, WatchEvent
from klepaas.k8s.rollout import pod_problems
from klepaas.logging import get_logger
from klepaas.metrics import metrics

log = get_logger(__name__)

Kind = Literal["Pod", "Deployment"]
REASONS = (
    "CrashLoopBackOff", "OOMKilled", "ImagePullBackOff", "FailedScheduling", "ProgressDeadlineExceeded"
)
_PULL = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName"})
WATCH_TIMEOUT_SECONDS = 300
RETRY_DELAY_SECONDS = 1.0


@dataclass(frozen=True)
class Problem:
    cluster: str
    namespace: str
    kind: Kind
    name: str  # the pod or deployment
    app: str  # the deployment it belongs to (the pod's name when it has none)
    reason: str  # one of REASONS
    message: str = ""
    container: str | None = None
    restarts: int = 0


OnChange = Callable[[Problem, bool], Awaitable[None]]


def app_of(pod: Pod) -> str:
    """The deployment a pod belongs to: its ReplicaSet owner's name minus the template hash."""
    owner = pod.owner
    if owner is not None and owner.kind == "ReplicaSet":
        hash_ = pod.pod_template_hash
        if hash_ and owner.name.endswith("-" + hash_):
            return owner.name[: -len(hash_) - 1]
        return owner.name.rsplit("-", 1)[0]
    if owner is not None and owner.kind in ("StatefulSet", "DaemonSet", "Job"):
        return owner.name
    return pod.name


def pod_problem(cluster: str, pod: Pod, crash_restarts: int) -> Problem | None:
    if pod.meta.deleting:
        return None
    namespace = pod.namespace
    for found in pod_problems([pod]):
        reason = found.reason
        if reason in _PULL:
            reason = "ImagePullBackOff"
        elif reason in ("CrashLoopBackOff", "OOMKilled", "Error"):
            if found.restarts < crash_restarts:
                continue
            reason = "OOMKilled" if found.reason == "OOMKilled" else "CrashLoopBackOff"
        else:
            continue
        return Problem(cluster, namespace, "Pod", pod.name, app_of(pod), reason, found.message,
                       found.container, found.restarts)
    for condition in pod.conditions:
        unschedulable = condition.status == "False" and condition.reason == "Unschedulable"
        if condition.type == "PodScheduled" and unschedulable:
            return Problem(cluster, namespace, "Pod", pod.name, app_of(pod), "FailedScheduling",
                           condition.message)
    return None


def deployment_problem(cluster: str, deployment: Deployment) -> Problem | None:
    for condition in deployment.status.conditions:
        if condition.type == "Progressing" and condition.reason == "ProgressDeadlineExceeded":
            return Problem(cluster, deployment.namespace, "Deployment", deployment.name, deployment.name,
                           "ProgressDeadlineExceeded", condition.message)
    return None


class ClusterWatcher:
    def __init__(self, gateway: KubeGateway, on_change: OnChange, *, crash_restarts: int = 2,
                 watch_timeout: int = WATCH_TIMEOUT_SECONDS) -> None:
        self.gateway = gateway
        self.cluster = gateway.cluster
        self.on_change = on_change
        self.crash_restarts = crash_restarts
        self.watch_timeout = watch_timeout
        # Objects with a problem now: (kind, namespace, name) -> the problem.
        self.active: dict[tuple[str, str, str], Problem] = {}
        self.events = 0  # watch events processed (bench)
        self.relists = 0
        self.synced = asyncio.Event()  # both initial lists processed
        self._listed: set[str] = set()

    async def run(self) -> None:
        await asyncio.gather(self._follow("Pod"), self._follow("Deployment"))

    async def _follow(self, kind: Kind) -> None:
        version: str | None = None
        while True:
            try:
                if version is None:
                    version = await self._list(kind)
                async for event in self._stream(kind, version):
                    if event.resource_version:
                        version = event.resource_version
                    await self._observe(kind, event)
            except ResourceExpired:
                log.info("watch too old to resume; listing again", kind=kind, cluster=self.cluster)
                self.relists += 1
                version = None
            except KlepaasError as exc:
                # A dropped connection or an API server restart: resume from the last version seen.
                log.warning("cluster watch interrupted; resuming", kind=kind, error=str(exc))
                await asyncio.sleep(RETRY_DELAY_SECONDS)

    def _stream(self, kind: Kind, version: str) -> AsyncIterator[WatchEvent[Any]]:
        if kind == "Pod":
            return self.gateway.watch_pods(None, resource_version=version, timeout_seconds=self.watch_timeout)
        return self.gateway.watch_deployments(
            None, resource_version=version, timeout_seconds=self.watch_timeout
        )

    async def _list(self, kind: Kind) -> str:
        gateway = self.gateway
        listed = await (gateway.list_pods(None) if kind == "Pod" else gateway.list_deployments(None))
        seen: set[tuple[str, str, str]] = set()
        for item in listed.items:
            problem = self._judge(kind, item)
            seen.add((kind, item.namespace, item.name))
            await self._set(kind, (kind, item.namespace, item.name), problem)
        # Objects that vanished while we were not watching: their problems are gone.
        for key in [k for k in self.active if k[0] == kind and k not in seen]:
            await self._set(kind, key, None)
        self._listed.add(kind)
        if len(self._listed) == 2:
            self.synced.set()
        return listed.resource_version

    def _judge(self, kind: Kind, item: Any) -> Problem | None:
        if kind == "Pod":
            return pod_problem(self.cluster, item, self.crash_restarts)
        return deployment_problem(self.cluster, item)

    async def _observe(self, kind: Kind, event: WatchEvent[Any]) -> None:
        self.events += 1
        metrics().watch_events.labels(kind, event.type).inc()
        item = event.object
        if item is None:  # a bookmark: only its resourceVersion matters
            return
        key = (kind, item.namespace, item.name)
        problem = None if event.type == "DELETED" else self._judge(kind, item)
        await self._set(kind, key, problem)

    async def _set(self, kind: Kind, key: tuple[str, str, str], problem: Problem | None) -> None:
        before = self.active.get(key)
        if problem is None:
            if before is not None:
                del self.active[key]
                await self.on_change(before, False)
            return
        self.active[key] = problem
        if before is None or before.reason != problem.reason:
            await self.on_change(problem, True)


async def run_until_cancelled(watcher: ClusterWatcher) -> None:
    """Run the watcher as a background task; its errors are logged, never silently lost."""
    with contextlib.suppress(asyncio.CancelledError):
        try:
            await watcher.run()
        except Exception:
            log.exception("the cluster watcher stopped", cluster=watcher.cluster)
            raise
