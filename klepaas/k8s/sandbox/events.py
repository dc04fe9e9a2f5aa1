"""core/v1 Events as the kubelet, scheduler and controllers of a real cluster record them.

An event repeated for the same object (same reason, message, type and source) is counted,
not multiplied: its `count` grows and `lastTimestamp` moves. The recorder keeps at most
`max_events` of its own events and drops those not seen for `ttl_seconds` (the API server's
default event TTL is one hour), so a 20,000-pod sandbox does not grow without bound.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from klepaas.k8s.sandbox.store import BY_KIND, Obj, Store, StoreError

EVENT = BY_KIND["Event"]

NORMAL = "Normal"
WARNING = "Warning"

KUBELET = "kubelet"
SCHEDULER = "default-scheduler"
DEPLOYMENT_CONTROLLER = "deployment-controller"
REPLICASET_CONTROLLER = "replicaset-controller"
SERVICE_CONTROLLER = "service-controller"


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Key:
    namespace: str
    uid: str
    field_path: str
    reason: str
    message: str
    type: str
    component: str


@dataclass
class _Seen:
    name: str
    last: float


class EventRecorder:
    def __init__(self, store: Store, *, max_events: int = 5000, ttl_seconds: float = 3600.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._max = max_events
        self._ttl = ttl_seconds
        self._clock = clock
        self._seen: OrderedDict[_Key, _Seen] = OrderedDict()  # least recently updated first
        self._last_ns = 0

    def __len__(self) -> int:
        return len(self._seen)

    def record(self, obj: Obj, reason: str, message: str, *, type: str = NORMAL,
               component: str, host: str | None = None, field_path: str | None = None) -> None:
        """Record (or count again) an event about `obj`."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        key = _Key(namespace, meta.get("uid", ""), field_path or "", reason, message, type, component)
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and self._count_again(namespace, seen, now):
            self._seen.move_to_end(key)
            return
        name = self._create(obj, namespace, reason, message, type, component, host, field_path, now)
        self._seen[key] = _Seen(name, now)
        self._prune(now)

    def _count_again(self, namespace: str, seen: _Seen, now: float) -> bool:
        current = self._store.find(EVENT, namespace, seen.name)
        if current is None:
            return False
        event = self._store.get(EVENT, namespace, seen.name)
        event["count"] = int(event.get("count") or 1) + 1
        event["lastTimestamp"] = rfc3339(now)
        self._store.replace(EVENT, event, check_rv=False)
        seen.last = now
        return True

    def _create(self, obj: Obj, namespace: str, reason: str, message: str, type: str, component: str,
                host: str | None, field_path: str | None, now: float) -> str:
        meta = obj["metadata"]
        involved: Obj = {
            "kind": obj.get("kind"),
            "namespace": meta.get("namespace"),
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "apiVersion": obj.get("apiVersion"),
            "resourceVersion": meta.get("resourceVersion"),
        }
        if not meta.get("namespace"):
            involved.pop("namespace")
        if field_path:
            involved["fieldPath"] = field_path
        source: Obj = {"component": component}
        if host:
            source["host"] = host
        stamp = rfc3339(now)
        # real event names are "<object>.<unix nanoseconds in hex>"; keep them unique
        self._last_ns = max(self._last_ns + 1, time.time_ns())
        name = f"{meta.get('name')}.{self._last_ns:x}"
        event: Obj = {
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": type,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
        try:
            self._store.create(EVENT, event)
        except StoreError as error:
            if error.code != 404:  # the namespace is gone: nothing to record the event in
                raise
        return name

    def _prune(self, now: float) -> None:
        while self._seen:
            key, seen = next(iter(self._seen.items()))
            if len(self._seen) <= self._max and seen.last >= now - self._ttl:
                return
            del self._seen[key]
            if self._store.find(EVENT, key.namespace, seen.name) is not None:
                self._store.delete(EVENT, key.namespace, seen.name)
