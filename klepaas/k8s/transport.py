"""How the gateway's `ApiClient`s are built and what they send: connection settings, impersonation
headers, and the line reader for watch streams. Used by `klepaas.k8s.gateway` and `klepaas.k8s.clusters`.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
import urllib3.exceptions
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

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


def throttle_token_hook(cfg: k8s_client.Configuration) -> None:
    """Run `cfg`'s token hook (if any) at most once per `TOKEN_HOOK_INTERVAL_SECONDS`; between
    runs the token it last set is used. Two threads running it at once is harmless."""
    hook = cfg.refresh_api_key_hook
    if hook is None:
        return
    next_run = 0.0

    def throttled(configuration: k8s_client.Configuration) -> None:
        nonlocal hook, next_run
        now = time.monotonic()
        if now < next_run:
            return
        next_run = now + TOKEN_HOOK_INTERVAL_SECONDS
        hook(configuration)
        # The kubeconfig loader's hook installs a fresh hook of its own each time it runs: that
        # one is the hook to run next time, behind the throttle again.
        renewed = configuration.refresh_api_key_hook
        if renewed is not None and renewed is not throttled:
            hook = renewed
            configuration.refresh_api_key_hook = throttled

    cfg.refresh_api_key_hook = throttled


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
