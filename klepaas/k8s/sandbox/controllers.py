"""The sandbox's kube-controller-manager, scheduler and kubelets, on one asyncio task.

Store changes arrive through `Store.add_listener` and only mark the touched objects (and their
owners, and the services that select them) dirty; the loop reconciles dirty objects in passes,
kind by kind, yielding to the event loop every `batch_size` objects so the API server stays
responsive with 20,000 pods. Delayed transitions (a container becoming ready, a back-off
ending, a progress deadline) are timers on one heap that mark their object dirty when due.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import random
import time
from collections.abc import Callable

from klepaas.k8s.sandbox.context import (
    DEPLOYMENT,
    NAMESPACE,
    POD,
    REPLICASET,
    SERVICE,
    Context,
    ControllerOptions,
    write_status,
)
from klepaas.k8s.sandbox.deployments import DeploymentController
from klepaas.k8s.sandbox.events import EventRecorder
from klepaas.k8s.sandbox.index import Index, controller_ref
from klepaas.k8s.sandbox.kubelet import Kubelet
from klepaas.k8s.sandbox.replicasets import ReplicaSetController
from klepaas.k8s.sandbox.scheduling import ensure_nodes
from klepaas.k8s.sandbox.services import ServiceController
from klepaas.k8s.sandbox.store import Key, Obj, Store, StoreError, WatchEvent
from klepaas.logging import get_logger

__all__ = ["ControllerOptions", "Controllers"]

log = get_logger(__name__)

# the order kinds are reconciled within a pass: what a pod does shows in its replica set's
# status before the deployment looks at it, and in endpoints last
KINDS = ("namespace", "pod", "replicaset", "deployment", "service")


class Controllers:
    """Runs the sandbox's controllers against `store` until stopped."""

    def __init__(self, store: Store, options: ControllerOptions | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.options = options or ControllerOptions()
        self.events = EventRecorder(store, max_events=self.options.max_events,
                                    ttl_seconds=self.options.event_ttl, clock=clock)
        self.ctx = Context(store, self.options, self.events, Index(), self._schedule_at, clock,
                           random.Random(self.options.seed))
        self.kubelet = Kubelet(self.ctx)
        self.replicasets = ReplicaSetController(self.ctx)
        self.deployments = DeploymentController(self.ctx)
        self.services = ServiceController(self.ctx)
        self.errors: list[BaseException] = []  # unexpected failures, retried; tests assert none
        self._handlers: dict[str, Callable[[Key], None]] = {
            "namespace": self._sync_namespace,
            "pod": self.kubelet.sync,
            "replicaset": self.replicasets.sync,
            "deployment": self.deployments.sync,
            "service": self.services.sync,
        }
        self._dirty: dict[str, set[Key]] = {kind: set() for kind in KINDS}
        self._timers: list[tuple[float, int, str, Key]] = []
        self._pending: dict[tuple[str, Key], float] = {}
        self._failures: dict[tuple[str, Key], int] = {}
        self._seq = itertools.count()
        self._uid_keys: dict[str, Key] = {}  # deployment and replica set uid -> key
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listening = False
        self._running = False

    # ---- lifecycle ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None

    async def start(self) -> None:
        if self._task is not None:
            return
        if not self._listening:
            self.store.add_listener(self._on_change)
            self._listening = True
        self._running = True
        self._rebuild()
        ensure_nodes(self.store, self.options.node_count)
        self._wake = asyncio.Event()
        self._wake.set()
        self._task = asyncio.create_task(self._run(), name="sandbox-controllers")

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._running = False
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._timers.clear()
        self._pending.clear()

    def idle(self) -> bool:
        """Nothing is waiting to be reconciled right now (timers may still be pending)."""
        return not any(self._dirty.values())

    def _rebuild(self) -> None:
        """Index what the store holds and reconcile all of it (first start, or after a stop)."""
        self.ctx.index = Index()
        self._uid_keys.clear()
        for kind in KINDS:
            self._dirty[kind].clear()
        for rt in (NAMESPACE, DEPLOYMENT, REPLICASET, POD, SERVICE):
            for obj in self.store.list(rt):
                self._on_change(WatchEvent("ADDED", rt, obj, 0))
        self.services.observe_existing()

    # ---- change notifications ------------------------------------------------------------
    def _mark(self, kind: str, key: Key) -> None:
        self._dirty[kind].add(key)

    def _mark_owner(self, obj: Obj, uid: str | None) -> None:
        ref = controller_ref(obj)
        ns = obj["metadata"].get("namespace") or ""
        if ref is not None and ref.get("kind") in ("ReplicaSet", "Deployment"):
            self._mark(ref["kind"].lower(), (ns, ref["name"]))
        if uid is not None and uid in self._uid_keys:
            owner_key = self._uid_keys[uid]
            self._mark("replicaset" if obj.get("kind") == "Pod" else "deployment", owner_key)

    def _on_change(self, event: WatchEvent) -> None:
        if not self._running:
            return
        obj = event.obj
        meta = obj["metadata"]
        key: Key = (meta.get("namespace") or "", meta["name"])
        deleted = event.type == "DELETED"
        kind = event.rt.kind
        if kind == "Pod":
            services = self.ctx.index.update_pod(key, None if deleted else obj)
            old_owner, _ = self.ctx.index.pods.update(key, None if deleted else obj)
            self._mark("pod", key)
            self._mark_owner(obj, old_owner)
            for service in services:
                self._mark("service", service)
        elif kind == "ReplicaSet":
            old_owner, _ = self.ctx.index.replicasets.update(key, None if deleted else obj)
            self._track_uid(meta["uid"], key, deleted)
            if deleted:
                self.deployments.forget(meta["uid"])
            self._mark("replicaset", key)
            self._mark_owner(obj, old_owner)
        elif kind == "Deployment":
            self._track_uid(meta["uid"], key, deleted)
            if deleted:
                self.deployments.forget(meta["uid"])
            self._mark("deployment", key)
        elif kind == "Service":
            self.ctx.index.update_service(key, None if deleted else obj)
            self._mark("service", key)
        elif kind == "Endpoints" and deleted:
            self._mark("service", key)
        elif kind == "Namespace":
            self._mark("namespace", key)
        elif kind == "Node":
            for pod_key in self.kubelet.unscheduled:
                self._mark("pod", pod_key)
        else:
            return
        self._wake.set()

    def _track_uid(self, uid: str, key: Key, deleted: bool) -> None:
        if deleted:
            self._uid_keys.pop(uid, None)
        else:
            self._uid_keys[uid] = key

    # ---- timers --------------------------------------------------------------------------
    def _schedule_at(self, when: float, kind: str, key: Key) -> None:
        slot = (kind, key)
        current = self._pending.get(slot)
        if current is not None and current <= when:
            return
        self._pending[slot] = when
        heapq.heappush(self._timers, (when, next(self._seq), kind, key))
        self._wake.set()

    def _fire_due(self) -> None:
        now = self.ctx.now()
        while self._timers and self._timers[0][0] <= now:
            when, _, kind, key = heapq.heappop(self._timers)
            if self._pending.get((kind, key)) == when:
                del self._pending[(kind, key)]
                self._mark(kind, key)

    def _next_delay(self) -> float | None:
        if not self._timers:
            return None
        return max(self._timers[0][0] - self.ctx.now(), 0.0)

    # ---- the loop ------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            self._fire_due()
            if self.idle():
                self._wake.clear()
                self._fire_due()
                if self.idle():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._next_delay())
                continue
            await self._pass()

    async def _pass(self) -> None:
        done = 0
        for kind in KINDS:
            batch, self._dirty[kind] = self._dirty[kind], set()
            handler = self._handlers[kind]
            for key in sorted(batch):
                self._sync_one(kind, key, handler)
                done += 1
                if done % self.options.batch_size == 0:
                    await asyncio.sleep(0)
        await asyncio.sleep(0)

    def _sync_one(self, kind: str, key: Key, handler: Callable[[Key], None]) -> None:
        slot = (kind, key)
        try:
            handler(key)
        except StoreError as error:
            # the object changed under us (or its namespace is going): look again shortly
            self._retry(slot, error, expected=error.code in (404, 409))
        except Exception as error:
            # a controller bug must not stop the cluster: remember it, surface it, retry with back-off
            self.errors.append(error)
            log.exception("sandbox_controller_failed", kind=kind, namespace=key[0], name=key[1])
            self._retry(slot, error, expected=False)
        else:
            self._failures.pop(slot, None)

    def _retry(self, slot: tuple[str, Key], error: BaseException, *, expected: bool) -> None:
        attempts = self._failures.get(slot, 0) + 1
        self._failures[slot] = attempts
        if not expected:
            log.warning("sandbox_reconcile_retry", kind=slot[0], key=slot[1], error=str(error),
                        attempts=attempts)
        self.ctx.after(min(0.05 * 2 ** (attempts - 1), 10.0), *slot)

    # ---- namespaces ----------------------------------------------------------------------
    def _sync_namespace(self, key: Key) -> None:
        ns = self.store.find(NAMESPACE, None, key[1])
        if ns is None:
            return
        name = key[1]
        if (ns["metadata"].get("labels") or {}).get("kubernetes.io/metadata.name") != name:
            updated = self.store.get(NAMESPACE, None, name)
            updated["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            ns = self.store.replace(NAMESPACE, updated, check_rv=False)
        if (ns.get("status") or {}).get("phase") != "Active":
            write_status(self.store, NAMESPACE, ns, {**(ns.get("status") or {}), "phase": "Active"})
