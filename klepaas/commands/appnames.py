"""The app names a planner may know: deployment names of the request's namespaces, cached briefly.

The rules use them for "did you mean nginx?" and to turn a Korean description into an existing app
(결제 서버 → payment); a provider gets them as bounded context. They are a help, never a
requirement: a cluster that is down, slow or forbidding only means planning without names.

`ClusterAppNames.names(cluster, namespaces)` makes ONE list call per namespace (at most `limit`
items, so one page), concurrently, and keeps each namespace's names for `ttl` seconds per
(cluster, namespace); concurrent requests for the same namespace share one call. A failed or slow
call gives no names (remembered for a shorter `failure_ttl`, so a burst of requests does not queue
up behind a dead cluster) and never an error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from klepaas.errors import KlepaasError
from klepaas.logging import get_logger

if TYPE_CHECKING:
    from klepaas.k8s.clusters import KubeClusters
    from klepaas.k8s.gateway import KubeGateway

log = get_logger(__name__)

# At most this many names go to the planner (a prompt stays small; the rules scan them per request).
MAX_APP_NAMES = 200
# How long one namespace's names are reused: new apps show up within this, at no cost per request.
APP_NAMES_TTL = 30.0
# A namespace whose list failed is not asked again for this long.
APP_NAMES_FAILURE_TTL = 5.0
# Planning waits at most this long for names; a slower cluster is planned around.
APP_NAMES_TIMEOUT = 2.0


class AppNameSource(Protocol):
    async def names(self, cluster: str | None, namespaces: Sequence[str]) -> list[str]: ...


class StaticAppNames:
    """A fixed list (tests, and front doors that know their apps another way)."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self._names = list(names)

    async def names(self, cluster: str | None, namespaces: Sequence[str]) -> list[str]:
        return list(self._names)


Key = tuple[str, str]  # (cluster, namespace)


class ClusterAppNames:
    def __init__(
        self,
        clusters: KubeClusters,
        *,
        ttl: float = APP_NAMES_TTL,
        failure_ttl: float = APP_NAMES_FAILURE_TTL,
        timeout: float = APP_NAMES_TIMEOUT,
        limit: int = MAX_APP_NAMES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clusters = clusters
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._timeout = timeout
        self._limit = limit
        self._clock = clock
        self._cached: dict[Key, tuple[float, list[str]]] = {}
        self._pending: dict[Key, asyncio.Future[list[str]]] = {}

    async def names(self, cluster: str | None, namespaces: Sequence[str]) -> list[str]:
        """Deployment names of `namespaces` (in that order, each sorted), at most `limit`; [] when
        the cluster cannot tell."""
        try:
            gateway = self._clusters.get(cluster)
        except KlepaasError as exc:  # no configuration, unknown cluster: plan without names
            log.info("app_names.unavailable", cluster=cluster, error=str(exc))
            return []
        parts = await asyncio.gather(*(self._names_in(gateway, ns) for ns in dict.fromkeys(namespaces)))
        merged = dict.fromkeys(name for part in parts for name in part)
        return list(merged)[: self._limit]

    async def _names_in(self, gateway: KubeGateway, namespace: str) -> list[str]:
        key = (gateway.cluster, namespace)
        cached = self._cached.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(gateway, key))
            self._pending[key] = pending
            pending.add_done_callback(lambda _done: self._pending.pop(key, None))
        try:
            # shield: one caller giving up must not cancel the call the others (and the cache) wait on
            return await asyncio.wait_for(asyncio.shield(pending), self._timeout)
        except TimeoutError:
            log.info("app_names.slow", cluster=key[0], namespace=namespace, timeout=self._timeout)
            return []

    async def _fetch(self, gateway: KubeGateway, key: Key) -> list[str]:
        try:
            listed = await gateway.list_deployments(key[1], limit=self._limit)
        except KlepaasError as exc:
            log.info("app_names.list_failed", cluster=key[0], namespace=key[1], error=str(exc))
            self._cached[key] = (self._clock() + self._failure_ttl, [])
            return []
        names = sorted(d.name for d in listed.items)
        self._cached[key] = (self._clock() + self._ttl, names)
        return names
