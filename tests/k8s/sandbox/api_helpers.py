"""Helpers for the API tests: run the synchronous kubernetes client off the event loop, read errors,
build API clients for other users, and small manifests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp
import kubernetes
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException

from klepaas.k8s.sandbox.cluster import SandboxCluster

T = TypeVar("T")


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking client call in a thread so the sandbox (on this loop) can answer it."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def raw(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The JSON the server sent, not the client's model of it (read in the thread, too)."""

    def read() -> Any:
        return json.loads(fn(*args, _preload_content=False, **kwargs).data)

    return await asyncio.to_thread(read)


async def stream(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[int, list[dict[str, Any]]]:
    """A watch request read to its end in a thread: (HTTP status, the JSON lines)."""

    def read() -> tuple[int, list[dict[str, Any]]]:
        response = fn(*args, watch=True, _preload_content=False, **kwargs)
        return response.status, [json.loads(line) for line in response.data.splitlines() if line.strip()]

    return await asyncio.to_thread(read)


async def api_error(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ApiException:
    try:
        await call(fn, *args, **kwargs)
    except ApiException as exc:
        return exc
    raise AssertionError(f"{getattr(fn, '__name__', fn)} succeeded; expected an API error")


def status_of(exc: ApiException) -> dict[str, Any]:
    body = json.loads(exc.body)
    assert body["kind"] == "Status", body
    return body  # type: ignore[no-any-return]


async def http(
    sandbox: SandboxCluster,
    method: str,
    path: str,
    *,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    text: bool = False,
) -> tuple[int, Any, dict[str, str]]:
    """One raw HTTP request (for bodies the typed client refuses to send): (status, JSON or text, headers)."""
    all_headers = {"Authorization": f"Bearer {token or sandbox.admin_token}", **(headers or {})}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{sandbox.url}{path}", json=body, headers=all_headers) as response,
    ):
        content = await response.text()
        as_json = response.content_type.startswith("application/json") and not text
        return response.status, json.loads(content) if as_json else content, dict(response.headers)


def client_for(
    sandbox: SandboxCluster, token: str | None, headers: dict[str, str] | None = None
) -> ApiClient:
    config = Configuration(host=sandbox.url)
    if token is not None:
        config.api_key = {"BearerToken": token}
        config.api_key_prefix = {"BearerToken": "Bearer"}
    client = ApiClient(config)
    for name, value in (headers or {}).items():
        client.set_default_header(name, value)
    return client


def core(api: ApiClient) -> kubernetes.client.CoreV1Api:
    return kubernetes.client.CoreV1Api(api)


def apps(api: ApiClient) -> kubernetes.client.AppsV1Api:
    return kubernetes.client.AppsV1Api(api)


def networking(api: ApiClient) -> kubernetes.client.NetworkingV1Api:
    return kubernetes.client.NetworkingV1Api(api)


def deployment(
    name: str,
    image: str = "nginx:1.25",
    *,
    replicas: int = 1,
    labels: dict[str, str] | None = None,
    containers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": containers or [{"name": name, "image": image}]},
            },
        },
    }


def service(name: str, *, selector: dict[str, str] | None = None, port: int = 80) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": selector or {"app": name}, "ports": [{"port": port, "targetPort": port}]},
    }


def ingress(name: str, host: str, service_name: str) -> dict[str, Any]:
    backend = {"service": {"name": service_name, "port": {"number": 80}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
            ],
        },
    }


def pod(name: str, image: str = "busybox:1.36", labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"containers": [{"name": "main", "image": image}]},
    }


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
