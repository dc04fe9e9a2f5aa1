"""What every sandbox controller shares: the store, the options, the clock, timers and events."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from klepaas.k8s.sandbox.events import EventRecorder
from klepaas.k8s.sandbox.failures import FailureRules
from klepaas.k8s.sandbox.index import Index
from klepaas.k8s.sandbox.store import BY_KIND, Key, Obj, ResourceType, Store

DEPLOYMENT = BY_KIND["Deployment"]
REPLICASET = BY_KIND["ReplicaSet"]
POD = BY_KIND["Pod"]
SERVICE = BY_KIND["Service"]
ENDPOINTS = BY_KIND["Endpoints"]
NODE = BY_KIND["Node"]
NAMESPACE = BY_KIND["Namespace"]


@dataclass
class ControllerOptions:
    """How fast (and how badly) the sandbox cluster behaves. Times are in seconds.

    The defaults feel like a small real cluster in a demo; tests shrink them to a few
    hundredths of a second.
    """

    pod_start_delay: float = 1.0  # scheduled -> containers running (sandbox, image pull, start)
    pod_ready_delay: float = 1.0  # running -> ready (the first readiness probe passing)
    crash_after: float = 2.0  # how long a crash-looping container runs before it exits
    crash_restart_base: float = 1.0  # first CrashLoopBackOff wait; doubles per restart (kubelet: 10s)
    crash_restart_max: float = 30.0  # back-off ceiling (kubelet: 300s)
    image_pull_backoff_base: float = 1.0  # first ImagePullBackOff wait; doubles per failure
    image_pull_backoff_max: float = 30.0
    schedule_retry: float = 5.0  # how often an unschedulable pod is tried again
    load_balancer_delay: float = 1.0  # LoadBalancer service -> status.loadBalancer.ingress
    node_count: int = 3  # nodes created at start when the store has none (first one: control plane)
    max_events: int = 5000  # events kept by the recorder; the oldest go first
    event_ttl: float = 3600.0  # events not seen again for this long are deleted (API server: 1h)
    batch_size: int = 500  # objects reconciled before yielding to the event loop (HTTP stays live)
    pod_burst: int = 500  # pods one ReplicaSet creates per pass
    seed: int | None = None  # pod name suffixes and IPs become reproducible when set
    failure_rules: FailureRules = field(default_factory=FailureRules)


Scheduler = Callable[[float, str, Key], None]


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def write_status(store: Store, rt: ResourceType, obj: Obj, status: Obj) -> Obj:
    """PUT .../status for `obj` unless its status is already `status`; returns the stored object."""
    if obj.get("status") == status:
        return obj
    meta = obj["metadata"]
    ref: Obj = {"name": meta["name"]}
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return store.replace(rt, {"metadata": ref, "status": status}, subresource="status", check_rv=False)


@dataclass
class Context:
    store: Store
    options: ControllerOptions
    events: EventRecorder
    index: Index
    schedule_at: Scheduler  # (when, kind, key): reconcile `kind`/`key` again at wall time `when`
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)

    def now(self) -> float:
        return self.clock()

    def after(self, delay: float, kind: str, key: Key) -> None:
        self.schedule_at(self.clock() + max(delay, 0.0), kind, key)
