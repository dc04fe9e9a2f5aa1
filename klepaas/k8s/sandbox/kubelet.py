"""The scheduler and the kubelets of the sandbox: pods get a node, an IP, and a life.

Each container walks ContainerCreating -> running -> ready after the configured delays, or
fails as the failure rules say (CrashLoopBackOff, OOMKilled, ErrImagePull/ImagePullBackOff).
Transitions are timed: `ContainerRun.due` is when the next one happens, and the controller
loop wakes the pod up then.
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field

from klepaas.k8s.sandbox import events as ev
from klepaas.k8s.sandbox.context import NODE, POD, Context, write_status
from klepaas.k8s.sandbox.failures import Behaviour
from klepaas.k8s.sandbox.podstatus import (
    BACKOFF,
    CREATING,
    NEVER,
    PULL_BACKOFF,
    PULL_ERROR,
    READY,
    RUNNING,
    ContainerRun,
    PodRun,
    full_image,
    qos_class,
    unschedulable_status,
)
from klepaas.k8s.sandbox.scheduling import host_ip, node_index, place
from klepaas.k8s.sandbox.store import Key, Obj

_SLOTS_PER_NODE_CIDR = 253  # 10.244.N.2 .. 10.244.N.254; beyond that pods spill into 10.(250+N).x.y


def pod_ip(node: int, slot: int) -> str:
    if slot < _SLOTS_PER_NODE_CIDR:
        return f"10.244.{node}.{slot + 2}"
    spill = slot - _SLOTS_PER_NODE_CIDR
    return f"10.{250 + node % 5}.{spill // 254 % 256}.{spill % 254 + 1}"


@dataclass
class _NodePool:
    next_slot: int = 0
    free: list[int] = field(default_factory=list)


class IpPool:
    """Pod IPs per node, reused after pods go (lowest free first)."""

    def __init__(self) -> None:
        self._pools: dict[int, _NodePool] = {}
        self._owner: dict[str, tuple[int, int]] = {}

    def allocate(self, node: int) -> str:
        pool = self._pools.setdefault(node, _NodePool())
        while True:
            if pool.free:
                slot = heapq.heappop(pool.free)
            else:
                slot = pool.next_slot
                pool.next_slot += 1
            ip = pod_ip(node, slot)
            if ip not in self._owner:
                self._owner[ip] = (node, slot)
                return ip

    def reserve(self, ip: str) -> None:
        self._owner.setdefault(ip, (-1, -1))

    def release(self, ip: str) -> None:
        node, slot = self._owner.pop(ip, (-1, -1))
        if node >= 0:
            heapq.heappush(self._pools[node].free, slot)


def _backoff(base: float, ceiling: float, attempt: int) -> float:
    return float(min(base * 2 ** max(attempt - 1, 0), ceiling))


class Kubelet:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.runs: dict[Key, PodRun] = {}
        self.unscheduled: set[Key] = set()
        self._unschedulable_since: dict[Key, float] = {}
        self.ips = IpPool()

    # ---- entry points --------------------------------------------------------------------
    def sync(self, key: Key) -> None:
        pod = self.ctx.store.find(POD, *key)
        if pod is None:
            self.forget(key)
            return
        run = self.runs.get(key)
        if run is not None and run.uid != pod["metadata"]["uid"]:
            self.forget(key)
            run = None
        if run is None:
            node_name = pod["spec"].get("nodeName")
            if not node_name:
                self._schedule(key, pod)
                return
            run = self._adopt(key, pod, node_name)
        self._advance(run, pod)

    def forget(self, key: Key) -> None:
        """The pod is gone: its containers are stopped and its IP returns to the pool."""
        self.unscheduled.discard(key)
        self._unschedulable_since.pop(key, None)
        run = self.runs.pop(key, None)
        if run is None:
            return
        if run.ip:
            self.ips.release(run.ip)
        ghost: Obj = {"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": run.name, "namespace": run.namespace, "uid": run.uid}}
        for container in run.containers:
            if container.stage in (RUNNING, READY):
                self.ctx.events.record(ghost, "Killing", f"Stopping container {container.name}",
                                       component=ev.KUBELET, host=run.node,
                                       field_path=f"spec.containers{{{container.name}}}")

    # ---- scheduling ----------------------------------------------------------------------
    def _schedule(self, key: Key, pod: Obj) -> None:
        ctx = self.ctx
        placement = place(pod, ctx.store.list(NODE), ctx.index.pods_on_node)
        if placement.node is None:
            self.unscheduled.add(key)
            since = self._unschedulable_since.setdefault(key, ctx.now())
            ctx.events.record(pod, "FailedScheduling", placement.message, type=ev.WARNING,
                              component=ev.SCHEDULER)
            self._write_status(pod, unschedulable_status(placement.message, since, qos_class(pod)))
            ctx.after(ctx.options.schedule_retry, "pod", key)
            return
        self.unscheduled.discard(key)
        self._unschedulable_since.pop(key, None)
        node_name = placement.node["metadata"]["name"]
        bound = ctx.store.get(POD, *key)
        bound["spec"]["nodeName"] = node_name
        pod = ctx.store.replace(POD, bound, check_rv=False)
        ctx.events.record(pod, "Scheduled", f"Successfully assigned {key[0]}/{key[1]} to {node_name}",
                          component=ev.SCHEDULER)
        run = self._new_run(pod, placement.node, ctx.now())
        self.runs[key] = run
        self._advance(run, pod)

    def _new_run(self, pod: Obj, node: Obj, now: float) -> PodRun:
        spec = pod["spec"]
        rules = self.ctx.options.failure_rules
        containers = [
            ContainerRun(c["name"], c.get("image", ""), rules.behaviour_for(c.get("image", "")),
                         due=now + self.ctx.options.pod_start_delay)
            for c in spec.get("containers") or []
        ]
        return PodRun(
            uid=pod["metadata"]["uid"], name=pod["metadata"]["name"], namespace=pod["metadata"]["namespace"],
            node=node["metadata"]["name"], node_index=node_index(node), host_ip=host_ip(node),
            scheduled_at=now, qos=qos_class(pod),
            containers=containers,
            init_containers=[(c["name"], c.get("image", "")) for c in spec.get("initContainers") or []],
        )

    def _adopt(self, key: Key, pod: Obj, node_name: str) -> PodRun:
        """A pod bound to a node before we knew it (created with nodeName, or the controllers
        restarted): ready containers stay ready, the others start over."""
        node = self.ctx.store.find(NODE, None, node_name) or {"metadata": {"name": node_name}, "spec": {}}
        now = self.ctx.now()
        run = self._new_run(pod, node, now)
        status = pod.get("status") or {}
        if status.get("podIP"):
            run.ip = status["podIP"]
            self.ips.reserve(run.ip)
        previous = {cs.get("name"): cs for cs in status.get("containerStatuses") or []}
        for container in run.containers:
            cs = previous.get(container.name)
            if cs and cs.get("ready") and run.ip:
                container.stage, container.due, container.ever_started = READY, NEVER, True
                container.started_at = now
                container.restarts = int(cs.get("restartCount") or 0)
                container.container_id = cs.get("containerID") or self._container_id(run, container)
        self.runs[key] = run
        return run

    # ---- container lifecycle -------------------------------------------------------------
    def _advance(self, run: PodRun, pod: Obj) -> None:
        now = self.ctx.now()
        for container in run.containers:
            steps = 0
            while container.due <= now and steps < 100:
                self._step(run, container, pod, container.due)
                steps += 1
        self._write_status(pod, run.status(now))
        if run.due < NEVER:
            self.ctx.schedule_at(run.due, "pod", (run.namespace, run.name))

    def _step(self, run: PodRun, c: ContainerRun, pod: Obj, at: float) -> None:
        options = self.ctx.options
        if c.stage in (CREATING, PULL_BACKOFF):
            if run.ip is None:
                run.ip = self.ips.allocate(run.node_index)
            self._event(run, c, pod, "Pulling", f'Pulling image "{c.image}"')
            if c.behaviour is Behaviour.PULL_FAIL:
                c.pull_failures += 1
                c.stage = PULL_ERROR
                ref = full_image(c.image)
                self._event(run, c, pod, "Failed",
                            f'Failed to pull image "{c.image}": rpc error: code = NotFound desc = failed to '
                            f'pull and unpack image "{ref}": failed to resolve reference "{ref}": {ref}: '
                            "not found", warning=True)
                self._event(run, c, pod, "Failed", "Error: ErrImagePull", warning=True)
                c.due = at + _backoff(options.image_pull_backoff_base, options.image_pull_backoff_max,
                                      c.pull_failures) / 2
                return
            took = max(options.pod_start_delay, 0.001)
            self._event(run, c, pod, "Pulled",
                        f'Successfully pulled image "{c.image}" in {took:.3f}s ({took:.3f}s including '
                        "waiting). Image size: 0 bytes.")
            self._start(run, c, pod, at)
        elif c.stage == PULL_ERROR:
            c.stage = PULL_BACKOFF
            self._event(run, c, pod, "BackOff", f'Back-off pulling image "{c.image}"')
            self._event(run, c, pod, "Failed", "Error: ImagePullBackOff", warning=True)
            c.due = at + _backoff(options.image_pull_backoff_base, options.image_pull_backoff_max,
                                  c.pull_failures)
        elif c.stage == RUNNING:
            if c.behaviour.crashes:
                c.terminate(at)
                c.stage = BACKOFF
                c.backoff = _backoff(options.crash_restart_base, options.crash_restart_max, c.restarts)
                c.due = at + c.backoff
                self._event(run, c, pod, "BackOff",
                            f"Back-off restarting failed container {c.name} in pod "
                            f"{run.name}_{run.namespace}({run.uid})", warning=True)
            else:
                c.stage, c.due = READY, NEVER
        elif c.stage == BACKOFF:
            self._event(run, c, pod, "Pulled", f'Container image "{c.image}" already present on machine')
            self._start(run, c, pod, at)
        else:
            c.due = NEVER

    def _start(self, run: PodRun, c: ContainerRun, pod: Obj, at: float) -> None:
        options = self.ctx.options
        c.stage = RUNNING
        c.started_at = at
        c.ever_started = True
        c.container_id = self._container_id(run, c)
        self._event(run, c, pod, "Created", f"Created container: {c.name}")
        self._event(run, c, pod, "Started", f"Started container {c.name}")
        if c.behaviour.crashes:
            c.due = at + options.crash_after
        elif options.pod_ready_delay <= 0:
            c.stage, c.due = READY, NEVER
        else:
            c.due = at + options.pod_ready_delay

    @staticmethod
    def _container_id(run: PodRun, c: ContainerRun) -> str:
        digest = hashlib.sha256(f"{run.uid}/{c.name}/{c.restarts}".encode()).hexdigest()
        return f"containerd://{digest}"

    def _event(self, run: PodRun, c: ContainerRun, pod: Obj, reason: str, message: str, *,
               warning: bool = False) -> None:
        self.ctx.events.record(pod, reason, message, type=ev.WARNING if warning else ev.NORMAL,
                               component=ev.KUBELET, host=run.node,
                               field_path=f"spec.containers{{{c.name}}}")

    def _write_status(self, pod: Obj, status: Obj) -> None:
        write_status(self.ctx.store, POD, pod, status)


__all__ = ["IpPool", "Kubelet", "pod_ip"]
