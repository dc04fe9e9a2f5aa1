"""Lookups the controllers need without scanning the store: children by owner, pods by label,
services by selector, pods per node. Kept current from store change events."""

from __future__ import annotations

from collections import defaultdict

from klepaas.k8s.sandbox.store import Key, Obj

LabelKey = tuple[str, str, str]  # (namespace, label, value)


def controller_ref(obj: Obj) -> Obj | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def selector_matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class _Children:
    """owner uid -> keys of objects whose controller reference names it."""

    def __init__(self) -> None:
        self.by_owner: dict[str, set[Key]] = defaultdict(set)
        self.owner_of: dict[Key, str] = {}

    def update(self, key: Key, obj: Obj | None) -> tuple[str | None, str | None]:
        """Returns (previous owner uid, current owner uid)."""
        ref = controller_ref(obj) if obj is not None else None
        new = ref.get("uid") if ref else None
        old = self.owner_of.get(key)
        if old != new:
            if old is not None:
                self.by_owner[old].discard(key)
                if not self.by_owner[old]:
                    del self.by_owner[old]
                del self.owner_of[key]
            if new is not None:
                self.by_owner[new].add(key)
                self.owner_of[key] = new
        return old, new

    def of(self, uid: str) -> set[Key]:
        return self.by_owner.get(uid, set())


class Index:
    def __init__(self) -> None:
        self.replicasets = _Children()
        self.pods = _Children()
        self._pod_labels: dict[Key, dict[str, str]] = {}
        self._pods_by_label: dict[LabelKey, set[str]] = defaultdict(set)
        self._pod_node: dict[Key, str] = {}
        self.pods_on_node: dict[str, int] = defaultdict(int)
        self._selectors: dict[Key, dict[str, str]] = {}
        self._services_by_label: dict[LabelKey, set[str]] = defaultdict(set)

    # ---- pods ---------------------------------------------------------------------------
    def update_pod(self, key: Key, pod: Obj | None) -> set[Key]:
        """Index a pod (None: deleted); returns the services whose endpoints it may change."""
        ns = key[0]
        old_labels = self._pod_labels.pop(key, None) or {}
        new_labels: dict[str, str] = (pod["metadata"].get("labels") or {}) if pod is not None else {}
        for k, v in old_labels.items():
            names = self._pods_by_label.get((ns, k, v))
            if names is not None:
                names.discard(key[1])
                if not names:
                    del self._pods_by_label[(ns, k, v)]
        if pod is not None:
            self._pod_labels[key] = new_labels
            for k, v in new_labels.items():
                self._pods_by_label[(ns, k, v)].add(key[1])
        self._update_node(key, pod["spec"].get("nodeName") if pod is not None else None)
        return self.services_for(ns, old_labels) | self.services_for(ns, new_labels)

    def _update_node(self, key: Key, node: str | None) -> None:
        old = self._pod_node.get(key)
        if old == node:
            return
        if old is not None:
            self.pods_on_node[old] -= 1
            del self._pod_node[key]
        if node:
            self.pods_on_node[node] += 1
            self._pod_node[key] = node

    def pods_matching(self, namespace: str, selector: dict[str, str]) -> set[str]:
        """Names of pods in `namespace` whose labels include every pair of `selector`."""
        if not selector:
            return set()
        candidates = min((self._pods_by_label.get((namespace, k, v), set()) for k, v in selector.items()),
                         key=len)
        return {name for name in candidates
                if selector_matches(selector, self._pod_labels.get((namespace, name), {}))}

    # ---- services -----------------------------------------------------------------------
    def update_service(self, key: Key, service: Obj | None) -> None:
        ns = key[0]
        for k, v in self._selectors.pop(key, {}).items():
            names = self._services_by_label.get((ns, k, v))
            if names is not None:
                names.discard(key[1])
                if not names:
                    del self._services_by_label[(ns, k, v)]
        selector = (service.get("spec") or {}).get("selector") or {} if service is not None else {}
        if selector:
            self._selectors[key] = dict(selector)
            for k, v in selector.items():
                self._services_by_label[(ns, k, v)].add(key[1])

    def services_for(self, namespace: str, labels: dict[str, str]) -> set[Key]:
        """Services in `namespace` whose selector matches `labels`."""
        found: set[Key] = set()
        for k, v in labels.items():
            for name in self._services_by_label.get((namespace, k, v), ()):
                key = (namespace, name)
                if key not in found and selector_matches(self._selectors.get(key, {}), labels):
                    found.add(key)
        return found
