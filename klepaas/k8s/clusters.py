"""Several clusters at once, by kubeconfig context name.

`KubeClusters` reads the kubeconfig's contexts once (lazily: `klepaas plan` never needs a cluster)
and builds one `KubernetesGateway` per context on first use, each with its own `ApiClient`; the
gateways share one bounded pool of request threads and one of watch threads, so the number of
blocking calls in flight is capped for the whole process, not per cluster.

Where the configuration comes from, in order: the kubeconfig named by `KUBECONFIG` (settings), else
`~/.kube/config` if it exists, else the pod's service account when `KUBERNETES_SERVICE_HOST` is
set (that single cluster is called "in-cluster"). The default cluster is `KLEPAAS_KUBE_CONTEXT`,
else the kubeconfig's current context.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from klepaas.config import KubeSettings
from klepaas.errors import ConfigError, UserError
from klepaas.k8s.gateway import KubeGateway, KubernetesGateway
from klepaas.k8s.transport import api_client_in_cluster

IN_CLUSTER = "in-cluster"
DEFAULT_KUBECONFIG = Path("~/.kube/config")


class KubeClusters:
    def __init__(self, settings: KubeSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._loaded = False
        self._contexts: list[str] = []
        self._current: str | None = None
        self._kubeconfig: str | None = None
        self._gateways: dict[str, KubeGateway] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._watch_pool: ThreadPoolExecutor | None = None
        self._closed = False

    @classmethod
    def from_gateways(cls, gateways: dict[str, KubeGateway], default: str | None = None) -> KubeClusters:
        """Clusters made of ready gateways (tests, embedded demos); the first is the default."""
        clusters = cls(KubeSettings())
        clusters._loaded = True
        clusters._contexts = list(gateways)
        clusters._current = default or next(iter(gateways), None)
        clusters._gateways = dict(gateways)
        return clusters

    # ---- discovery ---------------------------------------------------------------------

    def _kubeconfig_path(self) -> str | None:
        configured = self._settings.kubeconfig
        if configured is not None:
            # KUBECONFIG may list several files (merged by the client, as kubectl does).
            text = str(configured)
            if any(Path(p).expanduser().exists() for p in text.split(os.pathsep) if p):
                return text
            if self._settings.service_host:
                return None
            raise ConfigError(f"the kubeconfig {text} (KUBECONFIG) does not exist")
        default = DEFAULT_KUBECONFIG.expanduser()
        return str(default) if default.exists() else None

    def _load(self) -> None:
        if self._loaded:
            return
        path = self._kubeconfig_path()
        if path is not None:
            try:
                contexts, current = k8s_config.list_kube_config_contexts(config_file=path)
            except (ConfigException, OSError, ValueError) as exc:
                raise ConfigError(f"cannot read the kubeconfig {path}: {str(exc)[:200]}") from exc
            self._contexts = [c["name"] for c in contexts or []]
            self._current = (current or {}).get("name") if isinstance(current, dict) else None
            self._kubeconfig = path
        elif self._settings.service_host:
            self._contexts, self._current = [IN_CLUSTER], IN_CLUSTER
        else:
            raise ConfigError(
                "no Kubernetes configuration found",
                hint="set KUBECONFIG to a kubeconfig file, or run inside a cluster",
            )
        self._loaded = True

    def names(self) -> list[str]:
        """The known cluster (context) names."""
        with self._lock:
            self._load()
            return list(self._contexts)

    @property
    def default(self) -> str:
        """The name used when a request names no cluster."""
        with self._lock:
            self._load()
            return self._default_name()

    def _default_name(self) -> str:
        wanted = self._settings.context or self._current
        if wanted:
            return wanted
        if len(self._contexts) == 1:
            return self._contexts[0]
        raise ConfigError(
            "the kubeconfig has no current context",
            hint="set KLEPAAS_KUBE_CONTEXT to one of: " + ", ".join(self._contexts),
        )

    # ---- gateways ----------------------------------------------------------------------

    def get(self, name: str | None = None) -> KubeGateway:
        """The gateway for cluster `name` (None: the default); unknown names are a UserError."""
        with self._lock:
            if self._closed:
                raise ConfigError("the cluster connections are closed")
            self._load()
            name = name or self._default_name()
            gateway = self._gateways.get(name)
            if gateway is not None:
                return gateway
            if name not in self._contexts:
                known = ", ".join(self._contexts) or "none"
                raise UserError(f'unknown cluster "{name}"', hint=f"known clusters: {known}")
            gateway = self._build(name)
            self._gateways[name] = gateway
            return gateway

    def _build(self, name: str) -> KubeGateway:
        if self._pool is None or self._watch_pool is None:
            workers = self._settings.max_workers
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="kube")
            self._watch_pool = ThreadPoolExecutor(workers, thread_name_prefix="kube-watch")
        if name == IN_CLUSTER and self._kubeconfig is None:
            try:
                api = api_client_in_cluster(self._settings)
            except (ConfigException, OSError) as exc:
                raise ConfigError(f"cannot use the in-cluster service account: {str(exc)[:200]}") from exc
            return KubernetesGateway(
                api, self._settings, cluster=name, pool=self._pool, watch_pool=self._watch_pool
            )
        return KubernetesGateway.from_kubeconfig(
            self._settings, self._kubeconfig, name, pool=self._pool, watch_pool=self._watch_pool
        )

    def close(self) -> None:
        """Close every gateway and stop the shared threads. Idempotent."""
        gateways, pools = self._take_all()
        for gateway in gateways:
            gateway.close()
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        """`close`, from the event loop: waits for the gateways' connections to be closed."""
        gateways, pools = self._take_all()
        for gateway in gateways:
            await gateway.aclose()
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)

    def _take_all(self) -> tuple[list[KubeGateway], list[ThreadPoolExecutor]]:
        with self._lock:
            self._closed = True
            gateways, self._gateways = list(self._gateways.values()), {}
            pools = [p for p in (self._pool, self._watch_pool) if p is not None]
            self._pool = self._watch_pool = None
        return gateways, pools
