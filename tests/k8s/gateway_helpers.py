"""Helpers for the gateway, rollout and command tests: clusters over a sandbox, bounded waits,
and a spy on the requests a gateway sends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

from klepaas.config import KubeSettings
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.gateway import KubernetesGateway
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND, Store
from klepaas.k8s.transport import Prepared, Reply

T = TypeVar("T")
DEPLOYMENT = BY_KIND["Deployment"]


def clusters_for(kubeconfig: Path, **settings: Any) -> KubeClusters:
    return KubeClusters(KubeSettings(kubeconfig=kubeconfig, **settings))


async def wait_for(predicate: Callable[[], T], timeout: float = 10.0, *, what: str = "") -> T:
    """Re-check `predicate` while the event loop runs (the sandbox lives on it) until it is
    truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate!r}")
        await asyncio.sleep(0.01)
        value = predicate()
    return value


def all_rolled_out(store: Store) -> bool:
    for d in store.list(DEPLOYMENT):
        status = d.get("status") or {}
        replicas = d["spec"].get("replicas", 1)
        if not (
            status.get("observedGeneration", 0) >= d["metadata"].get("generation", 0)
            and status.get("updatedReplicas", 0) == replicas
            and status.get("replicas", 0) == replicas
            and status.get("availableReplicas", 0) == replicas
        ):
            return False
    return True


async def samples_ready(sandbox: SandboxCluster) -> None:
    await wait_for(lambda: all_rolled_out(sandbox.store), what="the sample apps to roll out")


class RequestSpy:
    """Records (method, path, query) of every request a gateway sends: on its transport (every
    request but watches) and on its client's REST layer (watch streams)."""

    def __init__(self, gateway: KubernetesGateway) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        rest = gateway._api_client.rest_client
        inner = rest.request

        def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            self._record(method, url)
            return inner(method, url, *args, **kwargs)

        rest.request = request  # type: ignore[method-assign]
        transport = gateway._transport
        send = transport.send

        async def spied_send(prepared: Prepared, **kwargs: Any) -> Reply:
            self._record(prepared.method, prepared.url)
            return await send(prepared, **kwargs)

        transport.send = spied_send  # type: ignore[method-assign]

    def _record(self, method: str, url: str) -> None:
        parsed = urlparse(url)
        self.requests.append((method, parsed.path, parse_qs(parsed.query)))

    def paths(self, fragment: str) -> list[tuple[str, str, dict[str, list[str]]]]:
        return [r for r in self.requests if fragment in r[1]]
