"""The sandbox cluster's object store: what etcd plus the API server's generic registry do.

All access happens on one asyncio event loop, so every method is atomic. Objects are plain
JSON dicts as the API serves them. The store owns its dicts: `get` returns a deep copy that the
caller may change; `list` returns the stored objects themselves, which callers must treat as
read-only (serialising 20,000 pods should not start with copying them).
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]


_ATOMIC = frozenset((str, int, float, bool, type(None)))


def clone(value: Any) -> Any:
    """A deep copy of JSON-shaped data: what copy.deepcopy returns, about three times faster
    (which matters when 20,000 pods change status). Anything else is deep-copied as usual."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _ATOMIC else clone(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _ATOMIC else clone(v) for v in value]
    return value if kind in _ATOMIC else copy.deepcopy(value)


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = (
        "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch",
    )

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """Unique key, e.g. 'deployments.apps' or 'pods'."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _rt(group: str, version: str, kind: str, plural: str, namespaced: bool, **kw: Any) -> ResourceType:
    return ResourceType(group, version, kind, plural, kind.lower(), namespaced, **kw)


RESOURCE_TYPES: tuple[ResourceType, ...] = (
    _rt("", "v1", "Namespace", "namespaces", False, short_names=("ns",), subresources=("status",)),
    _rt("", "v1", "Node", "nodes", False, short_names=("no",), subresources=("status",)),
    _rt("", "v1", "Pod", "pods", True, short_names=("po",), subresources=("status", "log"),
        categories=("all",)),
    _rt("", "v1", "Service", "services", True, short_names=("svc",), subresources=("status",),
        categories=("all",)),
    _rt("", "v1", "Endpoints", "endpoints", True, short_names=("ep",)),
    _rt("", "v1", "Event", "events", True, short_names=("ev",)),
    _rt("apps", "v1", "Deployment", "deployments", True, short_names=("deploy",),
        subresources=("status", "scale"), categories=("all",)),
    _rt("apps", "v1", "ReplicaSet", "replicasets", True, short_names=("rs",),
        subresources=("status", "scale"), categories=("all",)),
    _rt("networking.k8s.io", "v1", "Ingress", "ingresses", True, short_names=("ing",),
        subresources=("status",)),
)

BY_KIND: dict[str, ResourceType] = {rt.kind: rt for rt in RESOURCE_TYPES}
BY_KEY: dict[str, ResourceType] = {rt.key: rt for rt in RESOURCE_TYPES}


class StoreError(Exception):
    """An API error with the fields of a Kubernetes `Status` object."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def _details(rt: ResourceType, name: str | None) -> Obj:
    d: Obj = {"kind": rt.plural}
    if rt.group:
        d["group"] = rt.group
    if name:
        d["name"] = name
    return d


def not_found(rt: ResourceType, name: str) -> StoreError:
    return StoreError(404, "NotFound", f'{rt.key} "{name}" not found', _details(rt, name))


def already_exists(rt: ResourceType, name: str) -> StoreError:
    return StoreError(409, "AlreadyExists", f'{rt.key} "{name}" already exists', _details(rt, name))


def conflict(rt: ResourceType, name: str) -> StoreError:
    return StoreError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {rt.key} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(rt, name),
    )


def gone(rv: int) -> StoreError:
    return StoreError(410, "Expired", f"too old resource version: {rv}")


@dataclass
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    rt: ResourceType
    obj: Obj  # shared, read-only
    rv: int


Key = tuple[str, str]  # (namespace or "", name)
Dependents = list[tuple[ResourceType, Obj]]  # module level: inside Store, `list` is the method


@dataclass
class Watcher:
    rt: ResourceType
    namespace: str | None
    queue: asyncio.Queue[WatchEvent | None] = field(default_factory=asyncio.Queue)


class Store:
    """In-memory API storage with resourceVersions, watches and ownerReference cascading."""

    def __init__(self, history_size: int = 10_000) -> None:
        self._rv = 0
        self._objects: dict[str, dict[Key, Obj]] = {rt.key: {} for rt in RESOURCE_TYPES}
        self._history: deque[WatchEvent] = deque(maxlen=history_size)
        self._watchers: list[Watcher] = []
        self._listeners: list[Callable[[WatchEvent], None]] = []
        # owner uid -> (resource key, object key) of its dependents, so cascades need no scan
        self._owned: dict[str, set[tuple[str, Key]]] = {}

    # ---- resourceVersion --------------------------------------------------------------
    @property
    def resource_version(self) -> int:
        return self._rv

    @property
    def oldest_resource_version(self) -> int:
        """The oldest resourceVersion a watch (or a list continue token) may still start from."""
        return (self._history[0].rv if self._history else self._rv + 1) - 1

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    # ---- reads -------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        """A deep copy of the object; raises StoreError(404)."""
        return clone(self.peek(rt, namespace, name))

    def peek(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        """The stored object itself (read-only); raises StoreError(404)."""
        obj = self._objects[rt.key].get((namespace or "" if rt.namespaced else "", name))
        if obj is None:
            raise not_found(rt, name)
        return obj

    def find(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        """The stored object (read-only), or None."""
        return self._objects[rt.key].get((namespace or "" if rt.namespaced else "", name))

    def list(self, rt: ResourceType, namespace: str | None = None) -> list[Obj]:
        """Stored objects (read-only), in (namespace, name) order; namespace None means all."""
        items = self._objects[rt.key]
        if namespace is None or not rt.namespaced:
            keys: Iterable[Key] = sorted(items)
        else:
            keys = sorted(k for k in items if k[0] == namespace)
        return [items[k] for k in keys]

    def count(self, rt: ResourceType) -> int:
        return len(self._objects[rt.key])

    # ---- writes ------------------------------------------------------------------------
    def create(self, rt: ResourceType, obj: Obj, *, dry_run: bool = False) -> Obj:
        """Store a new object; fills uid, resourceVersion, generation, creationTimestamp."""
        obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not name and meta.get("generateName"):
            name = meta["generateName"] + uuid.uuid4().hex[:5]
            meta["name"] = name
        if not name:
            raise StoreError(422, "Invalid", f"{rt.kind} is invalid: metadata.name: Required value: "
                             "name or generateName is required",
                             {**_details(rt, None), "causes": [{"reason": "FieldValueRequired",
                                                                "field": "metadata.name"}]})
        ns = meta.get("namespace", "") if rt.namespaced else ""
        if rt.namespaced and not ns:
            raise StoreError(422, "Invalid", f"{rt.kind} {name!r} is invalid: metadata.namespace: "
                             "Required value", _details(rt, name))
        if not rt.namespaced:
            meta.pop("namespace", None)
        if rt.namespaced and rt.kind != "Namespace" and ns and \
                self.find(BY_KIND["Namespace"], None, ns) is None:
            raise StoreError(404, "NotFound", f'namespaces "{ns}" not found',
                             {"name": ns, "kind": "namespaces"})
        key = (ns, name)
        if key in self._objects[rt.key]:
            raise already_exists(rt, name)
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        meta.pop("deletionTimestamp", None)
        if "spec" in obj or rt.kind in ("Deployment", "ReplicaSet"):
            meta["generation"] = 1
        if dry_run:
            meta["resourceVersion"] = str(self._rv)
            return obj
        rv = self._next_rv()
        meta["resourceVersion"] = str(rv)
        self._objects[rt.key][key] = obj
        self._index_owners(rt, key, None, obj)
        self._emit(WatchEvent("ADDED", rt, obj, rv))
        return clone(obj)

    def replace(self, rt: ResourceType, obj: Obj, *, dry_run: bool = False,
                subresource: str | None = None, check_rv: bool = True) -> Obj:
        """Replace an existing object (PUT). A stale resourceVersion is a 409 Conflict.

        With subresource="status" only .status is taken from `obj`; otherwise .status is kept
        from the stored object (as the API server does for resources with a status subresource).
        generation is bumped when .spec changes.
        """
        obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        name = meta.get("name", "")
        ns = meta.get("namespace", "") if rt.namespaced else ""
        current = self.find(rt, ns, name)
        if current is None:
            raise not_found(rt, name)
        wanted_rv = meta.get("resourceVersion")
        if check_rv and wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
            raise conflict(rt, name)
        cur_meta = current["metadata"]
        if subresource == "status":
            new = clone(current)
            new["status"] = obj.get("status", {})
        else:
            new = obj
            new["apiVersion"] = rt.api_version
            new["kind"] = rt.kind
            for immutable in ("uid", "creationTimestamp", "namespace", "deletionTimestamp"):
                if immutable in cur_meta:
                    meta[immutable] = cur_meta[immutable]
            if not rt.namespaced:
                meta.pop("namespace", None)
            if "status" in rt.subresources and "status" in current:
                new["status"] = clone(current["status"])
            elif "status" in rt.subresources:
                new.pop("status", None)
            generation = cur_meta.get("generation")
            if generation is not None:
                meta["generation"] = generation + 1 if new.get("spec") != current.get("spec") else generation
        if new == current:
            return clone(current)  # a no-op write keeps its resourceVersion, as on a real server
        if dry_run:
            new["metadata"]["resourceVersion"] = cur_meta["resourceVersion"]
            return new
        rv = self._next_rv()
        new["metadata"]["resourceVersion"] = str(rv)
        self._objects[rt.key][(ns, name)] = new
        self._index_owners(rt, (ns, name), current, new)
        self._emit(WatchEvent("MODIFIED", rt, new, rv))
        return clone(new)

    def delete(self, rt: ResourceType, namespace: str | None, name: str, *, dry_run: bool = False,
               propagation: str = "Background") -> Obj:
        """Delete an object; its dependents (by ownerReferences uid) go too unless Orphan."""
        ns = namespace or "" if rt.namespaced else ""
        current = self.find(rt, ns, name)
        if current is None:
            raise not_found(rt, name)
        if dry_run:
            return clone(current)
        del self._objects[rt.key][(ns, name)]
        self._index_owners(rt, (ns, name), current, None)
        rv = self._next_rv()
        gone_obj = clone(current)
        gone_obj["metadata"]["resourceVersion"] = str(rv)
        self._emit(WatchEvent("DELETED", rt, gone_obj, rv))
        uid = current["metadata"]["uid"]
        if rt.kind == "Namespace":
            for other in RESOURCE_TYPES:
                if other.namespaced:
                    for obj in list(self.list(other, name)):
                        self.delete(other, name, obj["metadata"]["name"], propagation=propagation)
        elif propagation != "Orphan":
            self._delete_dependents(uid, ns, propagation)
        else:
            self._orphan_dependents(uid, ns)
        return gone_obj

    @staticmethod
    def _owner_uids(obj: Obj | None) -> set[str]:
        if obj is None:
            return set()
        return {ref["uid"] for ref in obj["metadata"].get("ownerReferences") or [] if ref.get("uid")}

    def _index_owners(self, rt: ResourceType, key: Key, old: Obj | None, new: Obj | None) -> None:
        before, after = self._owner_uids(old), self._owner_uids(new)
        for uid in before - after:
            dependents = self._owned.get(uid)
            if dependents is not None:
                dependents.discard((rt.key, key))
                if not dependents:
                    del self._owned[uid]
        for uid in after - before:
            self._owned.setdefault(uid, set()).add((rt.key, key))

    def _dependents(self, uid: str, namespace: str) -> Dependents:
        order = {rt.key: i for i, rt in enumerate(RESOURCE_TYPES)}
        found: Dependents = []
        for rt_key, key in sorted(self._owned.get(uid, ()), key=lambda d: (order[d[0]], d[1])):
            rt = BY_KEY[rt_key]
            obj = self._objects[rt_key].get(key)
            if rt.namespaced and key[0] == namespace and obj is not None:
                found.append((rt, obj))
        return found

    def _delete_dependents(self, uid: str, namespace: str, propagation: str) -> None:
        for rt, obj in self._dependents(uid, namespace):
            if self.find(rt, namespace, obj["metadata"]["name"]) is not None:
                self.delete(rt, namespace, obj["metadata"]["name"], propagation=propagation)

    def _orphan_dependents(self, uid: str, namespace: str) -> None:
        for rt, obj in self._dependents(uid, namespace):
            updated = clone(obj)
            refs = [r for r in updated["metadata"].get("ownerReferences", []) if r.get("uid") != uid]
            if refs:
                updated["metadata"]["ownerReferences"] = refs
            else:
                updated["metadata"].pop("ownerReferences", None)
            self.replace(rt, updated, check_rv=False)

    # ---- watches -----------------------------------------------------------------------
    def add_listener(self, listener: Callable[[WatchEvent], None]) -> None:
        """Call `listener` synchronously for every change (controllers use this to wake up)."""
        self._listeners.append(listener)

    def watch(self, rt: ResourceType, namespace: str | None, since_rv: int | None) -> Watcher:
        """Open a watch. Events after `since_rv` that are still in history are replayed first;
        a `since_rv` older than the history raises StoreError(410)."""
        watcher = Watcher(rt, namespace)
        if since_rv is not None and since_rv < self._rv:
            oldest = self._history[0].rv if self._history else self._rv + 1
            if since_rv < oldest - 1:
                raise gone(since_rv)
            for event in self._history:
                if event.rv > since_rv and self._matches(watcher, event):
                    watcher.queue.put_nowait(event)
        self._watchers.append(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def close_watches(self) -> None:
        """End every open watch stream (as when an API server restarts or a proxy drops them)."""
        for watcher in self._watchers:
            watcher.queue.put_nowait(None)
        self._watchers.clear()

    @staticmethod
    def _matches(watcher: Watcher, event: WatchEvent) -> bool:
        if event.rt.key != watcher.rt.key:
            return False
        return watcher.namespace is None or event.obj["metadata"].get("namespace") == watcher.namespace

    def _emit(self, event: WatchEvent) -> None:
        self._history.append(event)
        for watcher in self._watchers:
            if self._matches(watcher, event):
                watcher.queue.put_nowait(event)
        for listener in self._listeners:
            listener(event)
