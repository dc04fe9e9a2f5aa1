"""The sandbox cluster: the store, the API server and the controllers, on one asyncio loop.

    cluster = SandboxCluster(with_samples=True)
    await cluster.start()                  # 127.0.0.1, a port from the OS
    cluster.write_kubeconfig(path)         # kubectl and the kubernetes client can use it
    ...
    await cluster.stop()

`run_sandbox(port, kubeconfig)` runs one in the foreground until cancelled (`klepaas sandbox`).
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from pathlib import Path

import aiohttp
import yaml
from aiohttp import web

from klepaas.k8s.sandbox.auth import ADMIN_USER, Auth
from klepaas.k8s.sandbox.controllers import ControllerOptions, Controllers
from klepaas.k8s.sandbox.defaults import apply_defaults
from klepaas.k8s.sandbox.faults import Faults
from klepaas.k8s.sandbox.handlers import ServerOptions, ServerState
from klepaas.k8s.sandbox.logs import pod_log
from klepaas.k8s.sandbox.samples import load_samples
from klepaas.k8s.sandbox.server import create_app
from klepaas.k8s.sandbox.store import BY_KIND, Obj, Store
from klepaas.k8s.sandbox.tls import ServingCertificate, make_serving_certificate
from klepaas.logging import get_logger

log = get_logger(__name__)
DEFAULT_CONTEXT = "klepaas-sandbox"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def _bootstrap_objects() -> list[Obj]:
    """What every cluster has before anyone touches it: system namespaces, the kubernetes service."""
    objs: list[Obj] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                       for n in SYSTEM_NAMESPACES]
    objs.append({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "kubernetes", "namespace": "default",
                              "labels": {"component": "apiserver", "provider": "kubernetes"}},
                 "spec": {"clusterIP": "10.96.0.1",
                          "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}})
    objs.append({"apiVersion": "v1", "kind": "Endpoints",
                 "metadata": {"name": "kubernetes", "namespace": "default",
                              "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
                 "subsets": [{"addresses": [{"ip": "172.18.0.2"}],
                              "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}]})
    return objs


def bootstrap(store: Store) -> None:
    for obj in _bootstrap_objects():
        rt = BY_KIND[obj["kind"]]
        meta = obj["metadata"]
        if store.find(rt, meta.get("namespace"), meta["name"]) is None:
            apply_defaults(rt, obj, store)
            store.create(rt, obj)


class SandboxCluster:
    """A local Kubernetes API server with controllers, good enough for kubectl and the Python client.

    With `tls=True` it serves HTTPS with a certificate from a CA made at start (kubectl sends
    bearer tokens only over TLS); the kubeconfig then carries the CA.
    """

    def __init__(self, *, with_samples: bool = False, controller_options: ControllerOptions | None = None,
                 server_options: ServerOptions | None = None, admin_token: str | None = None,
                 history_size: int = 10_000, tls: bool = False) -> None:
        self.store = Store(history_size=history_size)
        self.auth = Auth(admin_token)
        self.faults = Faults(self.store)
        self.with_samples = with_samples
        self.controller_options = controller_options or ControllerOptions()
        self.server_options = server_options or ServerOptions()
        self.controllers: Controllers | None = None
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        self._state: ServerState | None = None
        self.tls = tls
        self.certificate: ServingCertificate | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox cluster is not running")
        return self._port

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self._host}:{self.port}"

    @property
    def admin_token(self) -> str:
        return self.auth.admin_token

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        bootstrap(self.store)
        self.controllers = Controllers(self.store, self.controller_options)
        await self.controllers.start()
        if self.with_samples:
            load_samples(self.store)
        state = ServerState(self.store, self.auth, self.faults, pod_log, self.server_options)
        self._state = state
        self._runner = web.AppRunner(create_app(state), handler_cancellation=True, access_log=None,
                                     shutdown_timeout=2.0)
        await self._runner.setup()
        context: ssl.SSLContext | None = None
        if self.tls:
            self.certificate = make_serving_certificate((host, "localhost"))
            context = self.certificate.server_context()
        site = web.TCPSite(self._runner, host, port, ssl_context=context)
        await site.start()
        self._host = host
        self._port = self._runner.addresses[0][1]
        log.info("sandbox_started", url=self.url, samples=self.with_samples)

    async def stop(self) -> None:
        self.store.close_watches()
        if self._state is not None:
            self._state.namespaces.close()
            self._state = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.controllers is not None:
            await self.controllers.stop()
            self.controllers = None
        self._port = None

    async def __aenter__(self) -> SandboxCluster:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def kubeconfig(self, context: str = DEFAULT_CONTEXT, *, token: str | None = None,
                   user: str = ADMIN_USER, namespace: str = "default") -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": self._cluster_entry()}],
            "users": [{"name": user, "user": {"token": token or self.auth.admin_token}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": user,
                                                        "namespace": namespace}}],
            "current-context": context,
            "preferences": {},
        }

    def _cluster_entry(self) -> Obj:
        entry: Obj = {"server": self.url}
        if self.certificate is not None:
            entry["certificate-authority-data"] = base64.b64encode(self.certificate.ca_pem).decode()
        return entry

    def write_kubeconfig(self, path: str | Path, context: str = DEFAULT_CONTEXT, *, token: str | None = None,
                         user: str = ADMIN_USER) -> Path:
        """Write a kubeconfig for this cluster (the admin's token unless `token` is given)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(self.kubeconfig(context, token=token, user=user), sort_keys=False))
        target.chmod(0o600)
        return target


async def wait_until_answers(url: str, deadline: float = 10.0, ca_pem: bytes | None = None) -> None:
    """Poll `url`/version until it answers 200 (bounded by `deadline` seconds)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    context = ssl.create_default_context(cadata=ca_pem.decode()) if ca_pem else None
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{url}/version", ssl=context if context else True) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                if loop.time() > end:
                    raise
            if loop.time() > end:
                raise TimeoutError(f"the sandbox at {url} did not answer within {deadline}s")
            await asyncio.sleep(0.05)


async def run_sandbox(port: int, kubeconfig: Path, samples: bool = True, host: str = "127.0.0.1",
                      tls: bool = True) -> None:
    """Run a sandbox cluster until cancelled; the kubeconfig is written once the server answers.

    TLS is on by default so that kubectl, which sends tokens only over HTTPS, can use the kubeconfig.
    """
    cluster = SandboxCluster(with_samples=samples, tls=tls)
    await cluster.start(host=host, port=port)
    try:
        ca_pem = cluster.certificate.ca_pem if cluster.certificate else None
        await wait_until_answers(cluster.url, ca_pem=ca_pem)
        cluster.write_kubeconfig(kubeconfig)
        log.info("sandbox_ready", url=cluster.url, kubeconfig=str(kubeconfig))
        await asyncio.Event().wait()
    finally:
        await cluster.stop()
