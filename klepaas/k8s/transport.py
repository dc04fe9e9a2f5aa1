"""How the gateway's `ApiClient`s are built and what they send: connection settings, impersonation
headers, and the line reader for watch streams. Used by `klepaas.k8s.gateway` and `klepaas.k8s.clusters`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import urllib3
import urllib3.exceptions
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.rest import is_socks_proxy_url, should_bypass_proxies
from kubernetes.config.config_exception import ConfigException

from klepaas.config import KubeSettings
from klepaas.logging import get_logger

log = get_logger(__name__)

USER_AGENT = "klepaas/0.1 (kubernetes-client/python)"


@dataclass(frozen=True)
class Identity:
    """Who the API server should treat a request as (Kubernetes impersonation)."""

    user: str
    groups: tuple[str, ...] = ()


# ---- impersonation --------------------------------------------------------------------------


class ImpersonatingRest:
    """Wraps a client's REST layer (sharing its connection pool) and adds impersonation headers.

    The generated client flattens headers into a dict, which cannot repeat a name; the API server
    wants one `Impersonate-Group` header per group, so we add them here, below that flattening.
    """

    def __init__(self, inner: Any, identity: Identity) -> None:
        self._inner = inner
        self._identity = identity

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        merged = urllib3.HTTPHeaderDict(dict(headers or {}))
        for name in ("Impersonate-User", "Impersonate-Group"):
            merged.discard(name)
        merged["Impersonate-User"] = self._identity.user
        for group in self._identity.groups:
            merged.add("Impersonate-Group", group)
        return self._inner.request(method, url, merged, *args, **kwargs)

    def close(self) -> None:
        """The shared connection pool belongs to the base gateway."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


# ---- watch streams --------------------------------------------------------------------------


class LineReader:
    """Newline-delimited JSON events from a streaming response, one blocking `next_line` at a time."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self._chunks: Iterator[bytes] = response.stream(amt=None, decode_content=False)
        self._buffer = b""
        self._lines: deque[bytes] = deque()

    def next_line(self) -> bytes | None:
        """The next non-empty line, or None when the stream ended or was cut."""
        while not self._lines:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                rest, self._buffer = self._buffer.strip(), b""
                return rest or None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                # A dropped or timed-out stream ends this watch; the caller resumes from the last
                # resourceVersion it saw (and finds out then whether the server is really gone).
                log.debug("k8s.watch.stream_ended", error=type(exc).__name__)
                return None
            self._buffer += chunk
            *complete, self._buffer = self._buffer.split(b"\n")
            self._lines.extend(line for line in complete if line.strip())
        return self._lines.popleft()

    def abort(self) -> None:
        """Unblock a thread waiting in `next_line` and release the connection (from any thread)."""
        conn = getattr(self._response, "connection", None) or getattr(self._response, "_connection", None)
        sock = getattr(conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self._response.close()
        with contextlib.suppress(Exception):
            self._response.release_conn()


# ---- the gateway ----------------------------------------------------------------------------


def retries() -> urllib3.Retry:
    # Retry only what cannot have reached the server (connecting); never re-send a request whose
    # answer timed out, or a 3-retry default would quadruple every timeout from settings.
    return urllib3.Retry(
        total=2, connect=2, read=0, redirect=0, status=0, other=0, backoff_factor=0.2, raise_on_status=False
    )


def configuration(settings: KubeSettings) -> k8s_client.Configuration:
    cfg = k8s_client.Configuration(connection_pool_maxsize=settings.max_workers * 2, retries=retries())
    return cfg


# The client calls a kubeconfig's or service account's token hook before every request, and the
# hook re-applies the whole configuration each time (the host setter alone scans the environment
# for proxy settings): about a third of the client's CPU per request. The hook only needs to run
# often enough to renew tokens, which the client does five minutes before they expire
# (kube_config.EXPIRY_SKEW_PREVENTION_DELAY) and re-reads in-cluster every minute.
TOKEN_HOOK_INTERVAL_SECONDS = 1.0


class _ThrottledHook:
    """A configuration's token hook, run at most once per `TOKEN_HOOK_INTERVAL_SECONDS`."""

    def __init__(self, hook: Callable[[k8s_client.Configuration], None]) -> None:
        self._hook = hook
        self._next_run = 0.0

    def due(self) -> bool:
        return time.monotonic() >= self._next_run

    def __call__(self, configuration: k8s_client.Configuration) -> None:
        now = time.monotonic()
        if now < self._next_run:
            return
        self._next_run = now + TOKEN_HOOK_INTERVAL_SECONDS
        self._hook(configuration)
        # The kubeconfig loader's hook installs a fresh hook of its own each time it runs: that
        # one is the hook to run next time, behind the throttle again.
        renewed = configuration.refresh_api_key_hook
        if renewed is not None and renewed is not self:
            self._hook = renewed
            configuration.refresh_api_key_hook = self


def throttle_token_hook(cfg: k8s_client.Configuration) -> None:
    """Run `cfg`'s token hook (if any) at most once per `TOKEN_HOOK_INTERVAL_SECONDS`; between
    runs the token it last set is used. Two threads running it at once is harmless."""
    hook = cfg.refresh_api_key_hook
    if hook is not None and not isinstance(hook, _ThrottledHook):
        cfg.refresh_api_key_hook = _ThrottledHook(hook)


def token_hook_due(cfg: k8s_client.Configuration) -> bool:
    """Whether building a request with `cfg` may run its token hook now: it may block (an exec
    auth plugin such as gke-gcloud-auth-plugin runs a command), so not on the event loop."""
    hook = cfg.refresh_api_key_hook
    if hook is None:
        return False
    return hook.due() if isinstance(hook, _ThrottledHook) else True


def api_client_from_kubeconfig(
    settings: KubeSettings, path: str | Path | None, context: str | None
) -> k8s_client.ApiClient:
    """An ApiClient of its own for one kubeconfig context (never the global default)."""
    api = k8s_config.new_client_from_config(
        config_file=str(path) if path else None,
        context=context,
        persist_config=False,
        client_configuration=configuration(settings),
    )
    throttle_token_hook(api.configuration)
    api.user_agent = USER_AGENT
    return api


def api_client_in_cluster(settings: KubeSettings) -> k8s_client.ApiClient:
    """An ApiClient from the pod's service account (token and CA mounted by Kubernetes)."""
    cfg = configuration(settings)
    k8s_config.load_incluster_config(client_configuration=cfg)
    throttle_token_hook(cfg)
    api = k8s_client.ApiClient(configuration=cfg)
    api.user_agent = USER_AGENT
    return api


# ---- requests over aiohttp ------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """One request exactly as the official client would send it: URL with its query, headers
    (content type, accept, user agent, the bearer token from the kubeconfig's hooks), JSON body."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any = None


@dataclass(frozen=True)
class Reply:
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes


class _Built:
    """What `ApiClient._call_with_legacy_options` reads from `call_api` for `_preload_content=False`:
    a status in 2xx and the object to hand back, here the request itself."""

    status = 200

    def __init__(self, prepared: Prepared) -> None:
        self.response = prepared


class RequestBuilder(k8s_client.ApiClient):
    """The official client's request building without its I/O: every generated API method
    (`CoreV1Api(builder).read_namespaced_pod(...)`, with `_preload_content=False`) validates its
    arguments and serialises path, query, headers and body as it always does, authenticates
    through the configuration (token refresh hooks included), and returns the `Prepared` request
    instead of sending it. `AsyncTransport` sends it."""

    def __init__(self, configuration: k8s_client.Configuration) -> None:
        super().__init__(configuration=configuration)
        self.rest_client.close()  # the urllib3 pool it made is never used
        self.user_agent = USER_AGENT

    def call_api(  # type: ignore[override]  # hands back the request, not a response
        self,
        method: str,
        url: str,
        header_params: Mapping[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> _Built:
        if post_params:  # form and multipart bodies: no API this gateway calls has them
            raise ValueError(f"form bodies are not supported ({method} {url})")
        return _Built(Prepared(method.upper(), url, dict(header_params or {}), body))


def ssl_context(cfg: k8s_client.Configuration) -> ssl.SSLContext | None:
    """The TLS settings of a kubeconfig context (or the service account), as the official
    client's urllib3 pool applies them: CA bundle or data, client certificate, verification."""
    if not str(cfg.host).lower().startswith("https"):
        return None
    ca_data = getattr(cfg, "ca_cert_data", None)
    if isinstance(ca_data, bytes):
        ca_data = ca_data.decode()
    context = ssl.create_default_context(cafile=cfg.ssl_ca_cert or None, cadata=ca_data or None)
    if cfg.cert_file:
        context.load_cert_chain(cfg.cert_file, cfg.key_file or None)
    if not cfg.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif cfg.assert_hostname is False:
        context.check_hostname = False
    return context


def proxy_for(cfg: k8s_client.Configuration) -> str | None:
    """The HTTP(S) proxy to reach the API server through, if any (its `no_proxy` respected)."""
    proxy = cfg.proxy
    if not proxy or should_bypass_proxies(str(cfg.host), cfg.no_proxy or ""):
        return None
    if is_socks_proxy_url(proxy):
        raise ConfigException(f"SOCKS proxies are not supported ({proxy.split('://')[0]})")
    return str(proxy)


# Connection attempts after the first that failed before anything was sent (as `retries()`).
CONNECT_RETRIES = 2
CONNECT_BACKOFF_SECONDS = 0.2


class AsyncTransport:
    """Sends `Prepared` requests over aiohttp, on the event loop: no thread per request, and no
    hand-offs between the loop and a worker for each one. One pooled session per event loop
    (usually one), at most `max_connections` connections to the API server, so at most that
    many requests of this process in flight against the cluster; the rest queue.

    A connection attempt that fails before anything was sent is retried twice (0.2 s, then
    0.4 s later); a request that was sent is never re-sent. Errors are aiohttp's and asyncio's
    (`klepaas.k8s.errors.translate` turns them into ours); a non-2xx reply is returned."""

    def __init__(self, cfg: k8s_client.Configuration, *, max_connections: int) -> None:
        self._ssl = ssl_context(cfg)
        self._proxy = proxy_for(cfg)
        self._proxy_headers = dict(cfg.proxy_headers or {}) or None
        self._server_hostname = cfg.tls_server_name or (
            cfg.assert_hostname if isinstance(cfg.assert_hostname, str) else None
        )
        self._max_connections = max(1, max_connections)
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._closed = False

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            with self._lock:
                if self._closed:
                    raise aiohttp.ClientConnectionError("the gateway is closed")
                for ended in [other for other in self._sessions if other.is_closed()]:
                    self._sessions.pop(ended).detach()  # its sockets went with its loop
                connector = aiohttp.TCPConnector(
                    limit=self._max_connections, ssl=self._ssl if self._ssl is not None else True
                )
                session = aiohttp.ClientSession(
                    connector=connector,
                    skip_auto_headers=("User-Agent", "Content-Type", "Accept-Encoding"),
                    auto_decompress=True,
                )
                self._sessions[loop] = session
        return session

    async def send(self, prepared: Prepared, *, timeout: float, identity: Identity | None = None) -> Reply:
        session = self._session()
        headers: list[tuple[str, str]] = [
            (k, v) for k, v in prepared.headers.items() if not k.lower().startswith("impersonate-")
        ]
        if identity is not None:
            headers.append(("Impersonate-User", identity.user))
            headers.extend(("Impersonate-Group", group) for group in identity.groups)
        data = orjson.dumps(prepared.body) if prepared.body is not None else None
        limits = aiohttp.ClientTimeout(total=timeout, sock_connect=timeout)
        for attempt in range(CONNECT_RETRIES + 1):
            try:
                async with session.request(
                    prepared.method,
                    prepared.url,
                    headers=headers,
                    data=data,
                    timeout=limits,
                    proxy=self._proxy,
                    proxy_headers=self._proxy_headers,
                    server_hostname=self._server_hostname,
                    allow_redirects=False,
                ) as response:
                    body = await response.read()
                    return Reply(response.status, response.reason or "", response.headers, body)
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc, aiohttp.ClientSSLError) or attempt == CONNECT_RETRIES:
                    raise
                await asyncio.sleep(CONNECT_BACKOFF_SECONDS * 2**attempt)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        """Close this loop's session (and the others, as `close` does)."""
        current = self._sessions.pop(asyncio.get_running_loop(), None)
        self.close()
        if current is not None:
            await current.close()

    def close(self) -> None:
        """Close every session from any thread: its connections are closed on its own loop."""
        with self._lock:
            self._closed = True
            sessions = list(self._sessions.items())
            self._sessions.clear()
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, session in sessions:
            if loop.is_closed():
                session.detach()  # its sockets went with the loop's end
            elif loop is running:
                _close_now(session)
            else:
                loop.call_soon_threadsafe(_close_now, session)


# Connector closings still awaiting their TLS goodbyes (kept from being collected mid-way).
_closing: set[asyncio.Future[None]] = set()


def _close_now(session: aiohttp.ClientSession) -> None:
    """Close a session's connections at once, on its loop, from code that cannot await."""
    connector = session.connector
    session.detach()
    if connector is not None:
        closing = asyncio.ensure_future(connector.close())  # sockets closed now; TLS goodbyes awaited
        _closing.add(closing)
        closing.add_done_callback(_closing.discard)
