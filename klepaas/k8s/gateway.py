"""The Kubernetes gateway: the one place that talks to a cluster's API server.

`KubeGateway` is the protocol the rest of the bot uses: async methods that return the typed data
of `klepaas.k8s.models` and raise the errors of `klepaas.errors` (translated in
`klepaas.k8s.errors`), never client objects, raw API dicts or client exceptions.

`KubernetesGateway` implements it over the **official `kubernetes` client**, with its requests
sent by **aiohttp on the event loop** (`klepaas.k8s.transport`). Why that client: it is the one that
reads kubeconfigs exactly as kubectl does (contexts, exec and OIDC auth plugins, in-cluster service
accounts), it is generated and released in step with Kubernetes by the Kubernetes project itself,
and it is the best-maintained Python client; `kubernetes_asyncio` is a separately maintained
generated fork that lags behind in versions and auth plugins. Why not its own (blocking urllib3)
I/O in a thread pool, as at first: each request then cost two hand-offs between the loop and a
worker, and the worker's HTTP code competed with the loop for the GIL; measured on a status (two
reads), the client's own I/O took about 1.6 times the CPU of aiohttp's. So the client builds every
request (`RequestBuilder`: its generated methods validate and serialise the arguments and
authenticate through the configuration, token refresh hooks included) and `AsyncTransport` sends
it, with the kubeconfig's TLS settings and proxy. The transport holds at most
`KLEPAAS_KUBE_WORKERS` connections per cluster, which caps how many requests one bot process has
in flight against it however many commands arrive at once; the rest queue. Watches, which hold a
stream open for minutes, still go through the client in a bounded pool of threads of their own, so
that following rollouts can never starve ordinary requests.

Each gateway owns its `ApiClient`, built from a kubeconfig context
(`kubernetes.config.new_client_from_config`) or from the in-cluster service account; the
client's global default configuration is never touched, so several clusters can be used at once.
Every request carries the timeout from settings. Responses skip the client's model layer, which is
slow for large lists: bodies are decoded with orjson (in a worker when large) and parsed straight
into our dataclasses (a long list's pages in a worker, while the next page is fetched).

Lists are paginated with `limit`/`continue` (page size from settings): one request per page,
never one per object. A `with_identity(user, groups)` gateway shares the pools and connections
but sends `Impersonate-User`/`Impersonate-Group` on every request, so the API server's RBAC
decides what that person may do.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypedDict, TypeVar, Unpack

import aiohttp
import orjson
import urllib3
import urllib3.exceptions
from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from klepaas.config import KubeSettings
from klepaas.errors import Conflict, KlepaasError
from klepaas.k8s.errors import ResourceExpired, ResourceNotFound, ResourceRef, api_status, translate
from klepaas.k8s.models import (
    CHANGE_CAUSE_ANNOTATION,
    POD_TEMPLATE_HASH_LABEL,
    Deployment,
    Endpoints,
    Event,
    Ingress,
    Namespace,
    Node,
    Obj,
    Pod,
    ReplicaSet,
    ResourceList,
    Scale,
    Service,
    WatchEvent,
    parse_deployment,
    parse_endpoints,
    parse_event,
    parse_ingress,
    parse_namespace,
    parse_node,
    parse_pod,
    parse_replicaset,
    parse_scale,
    parse_service,
)
from klepaas.k8s.transport import (
    USER_AGENT,
    AsyncTransport,
    Identity,
    ImpersonatingRest,
    LineReader,
    Reply,
    RequestBuilder,
    api_client_from_kubeconfig,
    token_hook_due,
)
from klepaas.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")

FIELD_MANAGER = "klepaas"
# A response body at least this big is decoded in a worker, not on the event loop.
LARGE_BODY_BYTES = 256 * 1024
# A list's last page of at most this many items is parsed on the loop; a longer one in a worker.
PARSE_ON_LOOP_ITEMS = 100
# Pod logs are cut at this many bytes on the server side: a chat message is not a log viewer.
MAX_LOG_BYTES = 512 * 1024
# Annotations a rollback does not copy from the old ReplicaSet (kubectl's annotationsToSkip).
ROLLBACK_SKIPPED_ANNOTATIONS = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        "deployment.kubernetes.io/revision",
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)
# How many names one "did you mean" list call looks at.
SUGGESTION_SCAN_LIMIT = 2000
# How many deployments' selectors a cluster's gateways remember (`SelectorMemory`).
MAX_REMEMBERED_SELECTORS = 4096


class SelectorMemory:
    """The label selectors of the deployments a gateway has read, by namespace and name (the most
    recent `MAX_REMEMBERED_SELECTORS`). Shared by a cluster's gateways, whoever they act as: a
    selector only says which pods to ask for; what is answered is up to the API server's RBAC."""

    def __init__(self) -> None:
        self._selectors: dict[tuple[str, str], str] = {}

    def get(self, namespace: str, name: str) -> str | None:
        return self._selectors.get((namespace, name))

    def remember(self, deployment: Deployment) -> None:
        key = (deployment.namespace, deployment.name)
        if not deployment.label_selector:
            self._selectors.pop(key, None)
            return
        self._selectors[key] = deployment.label_selector
        if len(self._selectors) > MAX_REMEMBERED_SELECTORS:
            del self._selectors[next(iter(self._selectors))]


class ListOptions(TypedDict, total=False):
    """Options of every list call: selectors as the API takes them, and how many items at most
    (fetched in pages of `list_page_size`; None means all)."""

    label_selector: str | None
    field_selector: str | None
    limit: int | None


class KubeGateway(Protocol):
    """What the bot may ask of a cluster. `namespace=None` on a list means all namespaces."""

    @property
    def cluster(self) -> str: ...

    @property
    def identity(self) -> Identity | None: ...

    def with_identity(self, user: str, groups: list[str] | tuple[str, ...] = ()) -> KubeGateway: ...

    # reads
    async def list_namespaces(self, **options: Unpack[ListOptions]) -> ResourceList[Namespace]: ...
    async def get_namespace(self, name: str) -> Namespace: ...
    async def list_nodes(self, **options: Unpack[ListOptions]) -> ResourceList[Node]: ...
    async def list_deployments(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[Deployment]: ...
    async def get_deployment(self, namespace: str, name: str) -> Deployment: ...
    async def get_deployment_pods(
        self, namespace: str, name: str
    ) -> tuple[Deployment, ResourceList[Pod]]: ...
    async def list_replicasets(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[ReplicaSet]: ...
    async def get_replicaset(self, namespace: str, name: str) -> ReplicaSet: ...
    async def list_pods(self, namespace: str | None, **options: Unpack[ListOptions]) -> ResourceList[Pod]: ...
    async def get_pod(self, namespace: str, name: str) -> Pod: ...
    async def list_services(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[Service]: ...
    async def get_service(self, namespace: str, name: str) -> Service: ...
    async def list_endpoints(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[Endpoints]: ...
    async def get_endpoints(self, namespace: str, name: str) -> Endpoints: ...
    async def list_ingresses(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[Ingress]: ...
    async def get_ingress(self, namespace: str, name: str) -> Ingress: ...
    async def list_events(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[Event]: ...
    async def read_scale(self, namespace: str, name: str) -> Scale: ...
    async def pod_logs(
        self,
        namespace: str,
        name: str,
        *,
        container: str | None = None,
        tail_lines: int | None = None,
        previous: bool = False,
        limit_bytes: int | None = MAX_LOG_BYTES,
        timestamps: bool = False,
    ) -> str: ...

    # writes (dry_run=True: the server validates and answers, nothing is stored)
    # resource_version: a precondition, as `kubectl patch` with metadata.resourceVersion in the
    # patch: applied only to that version of the object, else Conflict (it changed since it was read)
    async def patch_deployment(
        self,
        namespace: str,
        name: str,
        patch: Mapping[str, Any],
        *,
        dry_run: bool = False,
        resource_version: str | None = None,
    ) -> Deployment: ...
    async def patch_scale(
        self,
        namespace: str,
        name: str,
        replicas: int,
        *,
        dry_run: bool = False,
        resource_version: str | None = None,
    ) -> Scale: ...
    async def rollback_deployment(
        self,
        namespace: str,
        name: str,
        *,
        to_replicaset: str,
        change_cause: str | None = None,
        dry_run: bool = False,
    ) -> Deployment: ...
    async def create_deployment(
        self, namespace: str, manifest: Mapping[str, Any], *, dry_run: bool = False
    ) -> Deployment: ...
    async def create_service(
        self, namespace: str, manifest: Mapping[str, Any], *, dry_run: bool = False
    ) -> Service: ...

    # watches: events after `resource_version` until the server ends the stream
    def watch_deployments(
        self,
        namespace: str | None,
        *,
        name: str | None = None,
        label_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 60,
    ) -> AsyncIterator[WatchEvent[Deployment]]: ...
    def watch_pods(
        self,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 60,
    ) -> AsyncIterator[WatchEvent[Pod]]: ...

    def close(self) -> None: ...
    async def aclose(self) -> None: ...  # close, waiting for this loop's connections to close


# ---- resource kinds -------------------------------------------------------------------------

Api = Literal["core", "apps", "networking"]


@dataclass(frozen=True)
class _Kind(Generic[T]):
    kind: str  # singular, for messages: "deployment"
    api: Api
    stem: str  # client method stem: list_namespaced_{stem}, read_namespaced_{stem}, ...
    namespaced: bool
    parse: Callable[[Obj], T]

    def list_method(self, all_namespaces: bool) -> str:
        if not self.namespaced:
            return f"list_{self.stem}"
        return f"list_{self.stem}_for_all_namespaces" if all_namespaces else f"list_namespaced_{self.stem}"

    def read_method(self) -> str:
        return f"read_namespaced_{self.stem}" if self.namespaced else f"read_{self.stem}"


NAMESPACES = _Kind("namespace", "core", "namespace", False, parse_namespace)
NODES = _Kind("node", "core", "node", False, parse_node)
DEPLOYMENTS = _Kind("deployment", "apps", "deployment", True, parse_deployment)
REPLICASETS = _Kind("replicaset", "apps", "replica_set", True, parse_replicaset)
PODS = _Kind("pod", "core", "pod", True, parse_pod)
SERVICES = _Kind("service", "core", "service", True, parse_service)
ENDPOINTS = _Kind("endpoints", "core", "endpoints", True, parse_endpoints)
INGRESSES = _Kind("ingress", "networking", "ingress", True, parse_ingress)
EVENTS = _Kind("event", "core", "event", True, parse_event)


class KubernetesGateway:
    """`KubeGateway` over the official client; see the module docstring."""

    def __init__(
        self,
        api_client: k8s_client.ApiClient,
        settings: KubeSettings,
        *,
        cluster: str,
        pool: ThreadPoolExecutor | None = None,
        watch_pool: ThreadPoolExecutor | None = None,
        identity: Identity | None = None,
        owns_client: bool = True,
        selectors: SelectorMemory | None = None,
        transport: AsyncTransport | None = None,
    ) -> None:
        self._api_client = api_client
        self._settings = settings
        self._cluster = cluster
        self._identity = identity
        self._owns_client = owns_client
        self._owns_pools = pool is None
        self._pool = pool or ThreadPoolExecutor(settings.max_workers, thread_name_prefix="kube")
        self._watch_pool = watch_pool or ThreadPoolExecutor(
            settings.max_workers, thread_name_prefix="kube-watch"
        )
        self._timeout = settings.request_timeout_seconds
        self._page_size = settings.list_page_size
        # Watches stream through the client itself, in the watch pool.
        self._apis: dict[Api, Any] = {
            "core": k8s_client.CoreV1Api(api_client),
            "apps": k8s_client.AppsV1Api(api_client),
            "networking": k8s_client.NetworkingV1Api(api_client),
        }
        # Every other request is built by the client and sent by the transport, on the loop.
        builder = RequestBuilder(api_client.configuration)
        self._builders: dict[Api, Any] = {
            "core": k8s_client.CoreV1Api(builder),
            "apps": k8s_client.AppsV1Api(builder),
            "networking": k8s_client.NetworkingV1Api(builder),
        }
        if transport is None:
            try:
                transport = AsyncTransport(api_client.configuration, max_connections=settings.max_workers)
            except (ConfigException, OSError) as exc:  # the kubeconfig's certificates, its proxy
                raise translate(ConfigException(str(exc)), cluster=cluster) from exc
        self._transport = transport
        self._selectors = selectors or SelectorMemory()
        self._closed = False

    @classmethod
    def from_kubeconfig(
        cls, settings: KubeSettings, path: str | Path | None, context: str | None, **kwargs: Any
    ) -> KubernetesGateway:
        try:
            api = api_client_from_kubeconfig(settings, path, context)
        except (ConfigException, OSError) as exc:
            raise translate(ConfigException(str(exc)), cluster=context) from exc
        return cls(api, settings, cluster=context or "default", **kwargs)

    # ---- identity and lifecycle --------------------------------------------------------

    @property
    def cluster(self) -> str:
        return self._cluster

    @property
    def server(self) -> str:
        return str(self._api_client.configuration.host)

    @property
    def identity(self) -> Identity | None:
        return self._identity

    def with_identity(self, user: str, groups: list[str] | tuple[str, ...] = ()) -> KubernetesGateway:
        """A gateway acting as `user` (and `groups`) through impersonation; shares pools and
        connections with this one. Our own service account needs the `impersonate` verb."""
        identity = Identity(user, tuple(groups))
        api = k8s_client.ApiClient(configuration=self._api_client.configuration)
        api.rest_client.close()
        base_rest = self._api_client.rest_client
        if isinstance(base_rest, ImpersonatingRest):
            base_rest = base_rest._inner
        api.rest_client = ImpersonatingRest(base_rest, identity)  # type: ignore[assignment]
        api.user_agent = USER_AGENT
        return KubernetesGateway(
            api,
            self._settings,
            cluster=self._cluster,
            pool=self._pool,
            watch_pool=self._watch_pool,
            identity=identity,
            owns_client=False,
            selectors=self._selectors,
            transport=self._transport,
        )

    def close(self) -> None:
        """Release connections and threads; in-flight calls finish on their own timeouts."""
        if self._closed:
            return
        self._closed = True
        if self._owns_pools:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._watch_pool.shutdown(wait=False, cancel_futures=True)
        if self._owns_client:
            self._transport.close()
            with contextlib.suppress(Exception):
                self._api_client.close()

    async def aclose(self) -> None:
        """`close`, waiting for this loop's connections to be closed."""
        if self._owns_client and not self._closed:
            await self._transport.aclose()
        self.close()

    # ---- plumbing ----------------------------------------------------------------------

    async def _call(self, api: Api, method: str, *args: Any, **kwargs: Any) -> Any:
        """One request (the client's `api` method, with its arguments); returns the response
        body as JSON. A non-2xx answer raises the client's ApiException, as the client would."""
        reply = await self._send(api, method, *args, **kwargs)
        body = reply.body
        if not body:
            return {}
        if len(body) < LARGE_BODY_BYTES:
            return orjson.loads(body)
        # A page of 2,000 pods is megabytes of JSON: decoded in a worker, the loop goes on.
        return await asyncio.get_running_loop().run_in_executor(self._pool, orjson.loads, body)

    async def _send(self, api: Api, method: str, *args: Any, **kwargs: Any) -> Reply:
        build = getattr(self._builders[api], method)
        if token_hook_due(self._api_client.configuration):  # may run an exec auth plugin: off the loop
            prepared = await asyncio.get_running_loop().run_in_executor(
                self._pool, functools.partial(build, *args, _preload_content=False, **kwargs)
            )
        else:
            prepared = build(*args, _preload_content=False, **kwargs)
        reply = await self._transport.send(prepared, timeout=self._timeout, identity=self._identity)
        if not 200 <= reply.status <= 299:
            exc = ApiException(status=reply.status, reason=reply.reason)
            exc.body = reply.body.decode("utf-8", "replace")
            exc.headers = reply.headers
            raise exc
        return reply

    async def _run(self, call: Awaitable[T], *, ref: ResourceRef | None, verb: str) -> T:
        """Await a request (`_call`), turning the client's and transport's errors into ours."""
        try:
            return await call
        except (
            ApiException,
            aiohttp.ClientError,
            TimeoutError,
            urllib3.exceptions.HTTPError,
            OSError,
            ConfigException,
        ) as exc:
            error = translate(exc, ref, verb=verb, cluster=self._cluster, timeout=self._timeout)
            if isinstance(exc, ApiException):
                status = api_status(exc)
                log.debug(
                    "k8s.api_error",
                    cluster=self._cluster,
                    verb=verb,
                    code=status.code,
                    reason=status.reason,
                    message=status.message,
                )
            else:
                log.debug("k8s.transport_error", cluster=self._cluster, verb=verb, error=type(exc).__name__)
            raise error from exc

    async def _run_on(
        self, kind: _Kind[Any], namespace: str | None, name: str, call: Awaitable[T], verb: str
    ) -> T:
        """`_run` for a request about one named object: a 404 gets its "did you mean"."""
        try:
            return await self._run(call, ref=ResourceRef(kind.kind, name, namespace), verb=verb)
        except ResourceNotFound as exc:
            if exc.kind != kind.kind:
                raise
            raise await self._not_found(kind, namespace, name) from exc.__cause__

    async def _list(
        self,
        kind: _Kind[T],
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
    ) -> ResourceList[T]:
        all_namespaces = namespace is None or namespace == "*"
        method = kind.list_method(all_namespaces)
        args: tuple[Any, ...] = () if all_namespaces or not kind.namespaced else (namespace,)
        ref = ResourceRef(kind.kind, None, None if all_namespaces else namespace)
        query: dict[str, Any] = {}
        if label_selector:
            query["label_selector"] = label_selector
        if field_selector:
            query["field_selector"] = field_selector

        def parse(raw: list[Obj]) -> list[T]:
            return [kind.parse(item) for item in raw]

        async def fetch(page_limit: int, token: str | None) -> tuple[list[Obj], list[T] | None, Obj]:
            """One page: its raw items, and parsed too when it is the last one and short. A page
            with more after it (or a long last one) is parsed in a worker while the next page is
            fetched: on a long list the parsing (as costly as the request) then overlaps the
            server's work and the transfer, and the loop goes on."""
            body = await self._call(
                kind.api, method, *args, limit=page_limit, **({"_continue": token} if token else {}), **query
            )
            raw, meta = body.get("items") or [], body.get("metadata") or {}
            last = not meta.get("continue")
            return raw, parse(raw) if last and len(raw) <= PARSE_ON_LOOP_ITEMS else None, meta

        loop = asyncio.get_running_loop()
        parts: list[list[T] | asyncio.Future[list[T]]] = []
        fetched = 0
        token: str | None = None
        resource_version = ""
        restarted = False
        while True:
            page = self._page_size if limit is None else max(1, min(self._page_size, limit - fetched))
            try:
                raw, parsed, meta = await self._run(fetch(page, token), ref=ref, verb="list")
            except ResourceExpired:
                # The continue token outlived the server's snapshot; start over once.
                if restarted or token is None:
                    raise
                restarted, parts, fetched, token = True, [], 0, None
                continue
            if not resource_version:
                resource_version = str(meta.get("resourceVersion", ""))
            fetched += len(raw)
            parts.append(parsed if parsed is not None else loop.run_in_executor(self._pool, parse, raw))
            token = meta.get("continue") or None
            if token is None or (limit is not None and fetched >= limit):
                items = [item for part in parts for item in (part if isinstance(part, list) else await part)]
                if token is None:
                    return ResourceList(items, resource_version, 0)
                remaining = meta.get("remainingItemCount")
                return ResourceList(
                    items, resource_version, int(remaining) if remaining is not None else None
                )

    async def _get(self, kind: _Kind[T], namespace: str | None, name: str) -> T:
        args = (name, namespace) if kind.namespaced else (name,)
        ns = namespace if kind.namespaced else None
        fetch = self._call(kind.api, kind.read_method(), *args)
        return kind.parse(await self._run_on(kind, ns, name, fetch, "get"))

    async def _not_found(self, kind: _Kind[Any], namespace: str | None, name: str) -> ResourceNotFound:
        """A not-found error with "did you mean" suggestions from one list call of that kind; when
        the namespace itself is missing, says so (with its own suggestions) instead."""
        ns = namespace if kind.namespaced else None
        names = await self._names(kind, ns)
        if kind.namespaced and ns and not names:
            namespaces = await self._names(NAMESPACES, None)
            if namespaces and ns not in namespaces:
                return ResourceNotFound("namespace", ns, suggestions=_close(ns, namespaces))
        return ResourceNotFound(kind.kind, name, ns, suggestions=_close(name, names))

    async def _names(self, kind: _Kind[Any], namespace: str | None) -> list[str]:
        try:
            found = await self._list(
                kind, namespace, label_selector=None, field_selector=None, limit=SUGGESTION_SCAN_LIMIT
            )
        except KlepaasError:
            return []  # no suggestions is better than hiding the not-found behind another error
        return [item.meta.name for item in found.items]

    # ---- reads -------------------------------------------------------------------------

    async def list_namespaces(self, **options: Unpack[ListOptions]) -> ResourceList[Namespace]:
        return await self._list(NAMESPACES, None, **options)

    async def get_namespace(self, name: str) -> Namespace:
        return await self._get(NAMESPACES, None, name)

    async def list_nodes(self, **options: Unpack[ListOptions]) -> ResourceList[Node]:
        return await self._list(NODES, None, **options)

    async def list_deployments(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[Deployment]:
        return await self._list(DEPLOYMENTS, namespace, **options)

    async def get_deployment(self, namespace: str, name: str) -> Deployment:
        deployment = await self._get(DEPLOYMENTS, namespace, name)
        self._selectors.remember(deployment)
        return deployment

    async def get_deployment_pods(self, namespace: str, name: str) -> tuple[Deployment, ResourceList[Pod]]:
        """A deployment and its pods. The pods are listed by the deployment's selector; once this
        gateway has seen the deployment, the list goes out alongside the read rather than after
        it (a selector never changes: apps/v1 makes it immutable). Should the deployment have been
        replaced by one with another selector, the pods are listed again by the new one."""
        known = self._selectors.get(namespace, name)
        if known is None:
            deployment = await self.get_deployment(namespace, name)
            return deployment, await self.list_pods(namespace, label_selector=deployment.label_selector)
        pods = asyncio.ensure_future(self.list_pods(namespace, label_selector=known))
        try:
            deployment = await self.get_deployment(namespace, name)
        except BaseException:
            await _abandon(pods)
            raise
        if deployment.label_selector != known:
            await _abandon(pods)
            return deployment, await self.list_pods(namespace, label_selector=deployment.label_selector)
        return deployment, await pods

    async def list_replicasets(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[ReplicaSet]:
        return await self._list(REPLICASETS, namespace, **options)

    async def get_replicaset(self, namespace: str, name: str) -> ReplicaSet:
        return await self._get(REPLICASETS, namespace, name)

    async def list_pods(self, namespace: str | None, **options: Unpack[ListOptions]) -> ResourceList[Pod]:
        return await self._list(PODS, namespace, **options)

    async def get_pod(self, namespace: str, name: str) -> Pod:
        return await self._get(PODS, namespace, name)

    async def list_services(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[Service]:
        return await self._list(SERVICES, namespace, **options)

    async def get_service(self, namespace: str, name: str) -> Service:
        return await self._get(SERVICES, namespace, name)

    async def list_endpoints(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[Endpoints]:
        return await self._list(ENDPOINTS, namespace, **options)

    async def get_endpoints(self, namespace: str, name: str) -> Endpoints:
        return await self._get(ENDPOINTS, namespace, name)

    async def list_ingresses(
        self, namespace: str | None, **options: Unpack[ListOptions]
    ) -> ResourceList[Ingress]:
        return await self._list(INGRESSES, namespace, **options)

    async def get_ingress(self, namespace: str, name: str) -> Ingress:
        return await self._get(INGRESSES, namespace, name)

    async def list_events(self, namespace: str | None, **options: Unpack[ListOptions]) -> ResourceList[Event]:
        return await self._list(EVENTS, namespace, **options)

    async def read_scale(self, namespace: str, name: str) -> Scale:
        fetch = self._call("apps", "read_namespaced_deployment_scale", name, namespace)
        return parse_scale(await self._run_on(DEPLOYMENTS, namespace, name, fetch, "get"))

    async def pod_logs(
        self,
        namespace: str,
        name: str,
        *,
        container: str | None = None,
        tail_lines: int | None = None,
        previous: bool = False,
        limit_bytes: int | None = MAX_LOG_BYTES,
        timestamps: bool = False,
    ) -> str:
        kwargs: dict[str, Any] = {"previous": previous, "timestamps": timestamps}
        if container:
            kwargs["container"] = container
        if tail_lines is not None:
            kwargs["tail_lines"] = int(tail_lines)
        if limit_bytes is not None:
            kwargs["limit_bytes"] = int(limit_bytes)

        async def fetch() -> str:
            reply = await self._send("core", "read_namespaced_pod_log", name, namespace, **kwargs)
            return reply.body.decode("utf-8", "replace")

        return await self._run_on(PODS, namespace, name, fetch(), "read the logs of")

    # ---- writes ------------------------------------------------------------------------

    @staticmethod
    def _dry(dry_run: bool) -> dict[str, Any]:
        return {"dry_run": "All"} if dry_run else {}

    async def patch_deployment(
        self,
        namespace: str,
        name: str,
        patch: Mapping[str, Any],
        *,
        dry_run: bool = False,
        resource_version: str | None = None,
    ) -> Deployment:
        """A strategic merge patch (lists of containers merge by name, as with kubectl patch)."""
        fn = self._call(
            "apps",
            "patch_namespaced_deployment",
            name,
            namespace,
            _with_precondition(patch, resource_version),
            field_manager=FIELD_MANAGER,
            _content_type="application/strategic-merge-patch+json",
            **self._dry(dry_run),
        )
        return parse_deployment(await self._run_on(DEPLOYMENTS, namespace, name, fn, "patch"))

    async def patch_scale(
        self,
        namespace: str,
        name: str,
        replicas: int,
        *,
        dry_run: bool = False,
        resource_version: str | None = None,
    ) -> Scale:
        fn = self._call(
            "apps",
            "patch_namespaced_deployment_scale",
            name,
            namespace,
            _with_precondition({"spec": {"replicas": int(replicas)}}, resource_version),
            field_manager=FIELD_MANAGER,
            _content_type="application/merge-patch+json",
            **self._dry(dry_run),
        )
        return parse_scale(await self._run_on(DEPLOYMENTS, namespace, name, fn, "scale"))

    async def rollback_deployment(
        self,
        namespace: str,
        name: str,
        *,
        to_replicaset: str,
        change_cause: str | None = None,
        dry_run: bool = False,
    ) -> Deployment:
        """What `kubectl rollout undo` does: put the pod template of an older ReplicaSet (minus its
        pod-template-hash label) back into the deployment. A PUT with the resourceVersion we read,
        so a concurrent change is a Conflict, retried once on fresh data."""
        rs_body = await self._run(
            self._call("apps", "read_namespaced_replica_set", to_replicaset, namespace),
            ref=ResourceRef("replicaset", to_replicaset, namespace),
            verb="get",
        )
        template = json.loads(json.dumps((rs_body.get("spec") or {}).get("template") or {}))
        labels = (template.get("metadata") or {}).get("labels") or {}
        labels.pop(POD_TEMPLATE_HASH_LABEL, None)
        rs_annotations = (rs_body.get("metadata") or {}).get("annotations") or {}

        async def replace() -> Obj:
            current = await self._call("apps", "read_namespaced_deployment", name, namespace)
            current.setdefault("spec", {})["template"] = template
            meta = current.setdefault("metadata", {})
            # As kubectl does: the deployment takes the annotations of the revision it returns to
            # (its change cause, commit...), keeping only the controller's bookkeeping of its own.
            kept = {
                k: v for k, v in (meta.get("annotations") or {}).items() if k in ROLLBACK_SKIPPED_ANNOTATIONS
            }
            kept.update({k: v for k, v in rs_annotations.items() if k not in ROLLBACK_SKIPPED_ANNOTATIONS})
            if change_cause:
                kept[CHANGE_CAUSE_ANNOTATION] = change_cause
            meta["annotations"] = kept
            current.pop("status", None)
            return await self._call(
                "apps",
                "replace_namespaced_deployment",
                name,
                namespace,
                current,
                field_manager=FIELD_MANAGER,
                **self._dry(dry_run),
            )

        for attempt in (1, 2):
            try:
                return parse_deployment(
                    await self._run_on(DEPLOYMENTS, namespace, name, replace(), "roll back")
                )
            except Conflict as exc:
                # Someone changed the deployment between our read and our write: once more on fresh
                # data, then give up and say so (ResourceExpired is no such race).
                if isinstance(exc, ResourceExpired) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def create_deployment(
        self, namespace: str, manifest: Mapping[str, Any], *, dry_run: bool = False
    ) -> Deployment:
        body = await self._create(DEPLOYMENTS, "create_namespaced_deployment", namespace, manifest, dry_run)
        return parse_deployment(body)

    async def create_service(
        self, namespace: str, manifest: Mapping[str, Any], *, dry_run: bool = False
    ) -> Service:
        body = await self._create(SERVICES, "create_namespaced_service", namespace, manifest, dry_run)
        return parse_service(body)

    async def _create(
        self, kind: _Kind[Any], method: str, namespace: str, manifest: Mapping[str, Any], dry_run: bool
    ) -> Obj:
        name = (manifest.get("metadata") or {}).get("name")
        fn = self._call(
            kind.api,
            method,
            namespace,
            dict(manifest),
            field_manager=FIELD_MANAGER,
            **self._dry(dry_run),
        )
        try:
            return await self._run(fn, ref=ResourceRef(kind.kind, name, namespace), verb="create")
        except ResourceNotFound as exc:
            # On create, 404 can only mean the namespace is missing.
            namespaces = await self._names(NAMESPACES, None)
            raise ResourceNotFound(
                "namespace", namespace, suggestions=_close(namespace, namespaces)
            ) from exc.__cause__

    # ---- watches -----------------------------------------------------------------------

    def watch_deployments(
        self,
        namespace: str | None,
        *,
        name: str | None = None,
        label_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 60,
    ) -> AsyncIterator[WatchEvent[Deployment]]:
        return self._watch(
            DEPLOYMENTS,
            namespace,
            name=name,
            label_selector=label_selector,
            resource_version=resource_version,
            timeout_seconds=timeout_seconds,
        )

    def watch_pods(
        self,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 60,
    ) -> AsyncIterator[WatchEvent[Pod]]:
        return self._watch(
            PODS,
            namespace,
            name=None,
            label_selector=label_selector,
            resource_version=resource_version,
            timeout_seconds=timeout_seconds,
        )

    async def _watch(
        self,
        kind: _Kind[T],
        namespace: str | None,
        *,
        name: str | None,
        label_selector: str | None,
        resource_version: str | None,
        timeout_seconds: int,
    ) -> AsyncIterator[WatchEvent[T]]:
        """Events after `resource_version` until the server closes the stream (after about
        `timeout_seconds`) or the connection drops; the caller resumes from the last
        `resource_version` it saw. A too-old version raises `ResourceExpired`: re-list."""
        timeout_seconds = max(1, int(timeout_seconds))
        query: dict[str, Any] = {
            "watch": True,
            "allow_watch_bookmarks": True,
            "timeout_seconds": timeout_seconds,
        }
        if name:
            query["field_selector"] = f"metadata.name={name}"
        if label_selector:
            query["label_selector"] = label_selector
        if resource_version:
            query["resource_version"] = resource_version
        all_namespaces = namespace is None  # a cluster-wide watch (the alert watcher)
        method = kind.list_method(all_namespaces)
        where: tuple[str, ...] = () if all_namespaces else (str(namespace),)
        # Reads may legitimately wait for the whole stream; the server ends it at timeout_seconds.
        request_timeout = (self._timeout, timeout_seconds + self._timeout)

        def open_stream() -> LineReader:
            response = getattr(self._apis[kind.api], method)(
                *where, _preload_content=False, _request_timeout=request_timeout, **query
            )
            return LineReader(response)

        ref = ResourceRef(kind.kind, name, namespace)
        loop = asyncio.get_running_loop()
        reader = await self._run(loop.run_in_executor(self._watch_pool, open_stream), ref=ref, verb="watch")
        try:
            while True:
                line = await loop.run_in_executor(self._watch_pool, reader.next_line)
                if line is None:
                    return
                try:
                    event = orjson.loads(line)
                except ValueError:  # orjson.JSONDecodeError is one
                    log.debug("k8s.watch.bad_line", cluster=self._cluster, size=len(line))
                    return
                etype = event.get("type")
                obj = event.get("object") or {}
                if etype == "ERROR":
                    code = int(obj.get("code") or 0)
                    if code == 410:
                        raise ResourceExpired(f"the watch of {ref.describe()} is too old to resume")
                    exc = ApiException(status=code or 500, reason=str(obj.get("reason") or ""))
                    exc.body = json.dumps(obj)
                    raise translate(exc, ref, verb="watch", cluster=self._cluster) from None
                rv = str((obj.get("metadata") or {}).get("resourceVersion", ""))
                if etype == "BOOKMARK":
                    yield WatchEvent("BOOKMARK", None, rv)
                elif etype in ("ADDED", "MODIFIED", "DELETED"):
                    if name and (obj.get("metadata") or {}).get("name") != name:
                        continue
                    yield WatchEvent(etype, kind.parse(obj), rv)
        finally:
            reader.abort()


async def _abandon(task: asyncio.Future[Any]) -> None:
    """Cancel `task`, whose outcome no longer matters, and wait for it to end; its error, if any,
    is taken so that it is not reported as never retrieved. A cancellation of the caller while
    waiting still propagates."""
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()


def _with_precondition(patch: Mapping[str, Any], resource_version: str | None) -> dict[str, Any]:
    """The patch, applied by the server only to that resourceVersion of the object (else 409)."""
    body = dict(patch)
    if resource_version:
        body["metadata"] = {**(body.get("metadata") or {}), "resourceVersion": resource_version}
    return body


def _close(name: str, candidates: list[str]) -> list[str]:
    return difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
