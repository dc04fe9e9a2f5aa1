"""Shared helpers for the sandbox tests: bounded waits and small object builders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from klepaas.k8s.sandbox.store import BY_KIND, Obj, Store

T = TypeVar("T")

NAMESPACE = BY_KIND["Namespace"]
DEPLOYMENT = BY_KIND["Deployment"]
REPLICASET = BY_KIND["ReplicaSet"]
POD = BY_KIND["Pod"]
SERVICE = BY_KIND["Service"]
ENDPOINTS = BY_KIND["Endpoints"]
EVENT = BY_KIND["Event"]
NODE = BY_KIND["Node"]


class WaitTimeout(AssertionError):
    pass


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 5.0, *, what: str = "", interval: float = 0.005
) -> Any:
    """Poll `predicate` (letting the event loop run between tries) until it returns something
    truthy, and return that; fail after `timeout` seconds with the last value seen."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value:
        if time.monotonic() > deadline:
            raise WaitTimeout(
                f"timed out after {timeout}s waiting for {what or predicate!r}; last: {value!r}"
            )
        await asyncio.sleep(interval)
        value = predicate()
    return value


def wait_in_thread(predicate: Callable[[], T], timeout: float = 10.0, *, what: str = "") -> Awaitable[T]:
    """Like wait_for, for predicates that block (the synchronous kubernetes client)."""

    def poll() -> T:
        deadline = time.monotonic() + timeout
        value = predicate()
        while not value:
            if time.monotonic() > deadline:
                raise WaitTimeout(f"timed out after {timeout}s waiting for {what}; last: {value!r}")
            time.sleep(0.02)
            value = predicate()
        return value

    return asyncio.to_thread(poll)


def deployment(
    name: str, image: str = "nginx:1.25", *, replicas: int = 2, namespace: str = "default", **spec: Any
) -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": name, "image": image, "ports": [{"name": "http", "containerPort": 80}]}
                    ]
                },
            },
            **spec,
        },
    }


def service(
    name: str, *, namespace: str = "default", selector: dict[str, str] | None = None, type: str = "ClusterIP"
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "type": type,
            "selector": selector or {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def pods_of(store: Store, app: str, namespace: str = "default") -> list[Obj]:
    return [p for p in store.list(POD, namespace) if (p["metadata"].get("labels") or {}).get("app") == app]


def replicasets_of(store: Store, app: str, namespace: str = "default") -> list[Obj]:
    return [
        rs
        for rs in store.list(REPLICASET, namespace)
        if any(ref.get("name") == app for ref in rs["metadata"].get("ownerReferences") or [])
    ]


def is_ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def find_condition(obj: Obj, kind: str) -> Obj | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return c
    return None


def condition(obj: Obj, kind: str) -> Obj:
    found = find_condition(obj, kind)
    assert found is not None, f"no {kind} condition in {obj.get('status')}"
    return found


def rolled_out(store: Store, name: str, namespace: str = "default") -> bool:
    """What `kubectl rollout status` calls success."""
    d = store.find(DEPLOYMENT, namespace, name)
    if d is None:
        return False
    status = d.get("status") or {}
    replicas = d["spec"].get("replicas", 1)
    return (
        status.get("observedGeneration", 0) >= d["metadata"]["generation"]
        and status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
    )


def all_rolled_out(store: Store) -> bool:
    return all(
        rolled_out(store, d["metadata"]["name"], d["metadata"]["namespace"]) for d in store.list(DEPLOYMENT)
    )


def set_image(store: Store, name: str, image: str, namespace: str = "default") -> None:
    d = store.get(DEPLOYMENT, namespace, name)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    store.replace(DEPLOYMENT, d)


def patch_spec(store: Store, kind_name: str, namespace: str, name: str, **changes: Any) -> Obj:
    rt = BY_KIND[kind_name]
    obj = store.get(rt, namespace, name)
    obj["spec"].update(changes)
    return store.replace(rt, obj)


def events_for(store: Store, name: str, namespace: str = "default") -> list[Obj]:
    return [e for e in store.list(EVENT, namespace) if e["involvedObject"].get("name") == name]
