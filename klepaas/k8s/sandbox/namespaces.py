"""Namespace deletion as the API server and the namespace controller do it, in two steps.

DELETE marks the namespace (deletionTimestamp, phase Terminating) and answers with it; new
content may no longer be created in it (403 Forbidden); shortly after, the namespace and what it
holds are deleted. Objects inside stay readable and deletable in between, so `kubectl delete -f`
of a manifest that starts with its namespace behaves as on a real cluster.
"""

from __future__ import annotations

import asyncio

from klepaas.k8s.sandbox.store import BY_KIND, Obj, ResourceType, Store, StoreError, now_rfc3339

NAMESPACE = BY_KIND["Namespace"]


class NamespaceLifecycle:
    def __init__(self, store: Store, finalize_after: float) -> None:
        self.store = store
        self.finalize_after = finalize_after
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def terminate(self, name: str) -> Obj:
        """Mark `name` Terminating and schedule its removal; returns the namespace as now stored."""
        current = self.store.get(NAMESPACE, None, name)
        if not current["metadata"].get("deletionTimestamp"):
            current["metadata"]["deletionTimestamp"] = now_rfc3339()
            current["metadata"]["deletionGracePeriodSeconds"] = 0
            self.store.replace(NAMESPACE, current, check_rv=False)
            self.store.replace(NAMESPACE, {"metadata": {"name": name}, "status": {"phase": "Terminating"}},
                               subresource="status", check_rv=False)
        if name not in self._timers:
            loop = asyncio.get_running_loop()
            self._timers[name] = loop.call_later(self.finalize_after, self._finalize, name)
        answer = self.store.get(NAMESPACE, None, name)
        answer.setdefault("status", {})["phase"] = "Terminating"
        return answer

    def _finalize(self, name: str) -> None:
        self._timers.pop(name, None)
        if self.store.find(NAMESPACE, None, name) is not None:
            self.store.delete(NAMESPACE, None, name)

    def admit_create(self, rt: ResourceType, namespace: str | None, name: str) -> None:
        """Refuse new content in a terminating namespace, as the NamespaceLifecycle admission does."""
        if not rt.namespaced or not namespace:
            return
        ns = self.store.find(NAMESPACE, None, namespace)
        if ns is not None and ns["metadata"].get("deletionTimestamp"):
            raise StoreError(
                403, "Forbidden",
                f'{rt.key} "{name}" is forbidden: unable to create new content in namespace {namespace} '
                "because it is being terminated",
                {"name": name, "kind": rt.plural, "causes": [{
                    "reason": "NamespaceTerminating", "field": "metadata.namespace",
                    "message": f"namespace {namespace} is being terminated"}]})

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
