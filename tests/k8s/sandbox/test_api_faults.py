"""Fault injection: latency, 5xx, 429 with Retry-After and dropped watch streams."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from kubernetes.client import ApiClient

from klepaas.k8s.sandbox.cluster import SandboxCluster
from tests.k8s.sandbox.api_helpers import api_error, call, client_for, core, http, service, status_of, stream

SERVICES = "/api/v1/namespaces/default/services"


async def test_added_latency_slows_only_matching_requests(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    sandbox.faults.latency(0.3, path_prefix=SERVICES, verb="list")
    c = core(kube_api)

    started = time.monotonic()
    await call(c.list_namespaced_service, "default")
    slow = time.monotonic() - started
    started = time.monotonic()
    await call(c.list_namespace)
    fast = time.monotonic() - started

    assert slow >= 0.3 and fast < 0.3


async def test_an_injected_500_fires_the_given_number_of_times(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    sandbox.faults.error(500, verb="get", times=1)
    c = core(kube_api)

    error = await api_error(c.read_namespace, "default")
    recovered = await call(c.read_namespace, "default")

    assert error.status == 500 and status_of(error)["reason"] == "InternalError"
    assert recovered.metadata.name == "default" and sandbox.faults.active == []


async def test_an_injected_503_is_service_unavailable(sandbox: SandboxCluster, kube_api: ApiClient) -> None:
    sandbox.faults.error(503, times=1)

    error = await api_error(core(kube_api).list_namespace)

    assert error.status == 503 and status_of(error)["reason"] == "ServiceUnavailable"


async def test_throttling_answers_429_with_retry_after(sandbox: SandboxCluster, kube_api: ApiClient) -> None:
    sandbox.faults.throttle(retry_after=7, path_prefix=SERVICES, times=2)

    error = await api_error(core(kube_api).create_namespaced_service, "default", service("web"))

    body = status_of(error)
    assert error.status == 429 and error.headers["Retry-After"] == "7"
    assert body["reason"] == "TooManyRequests" and body["details"] == {"retryAfterSeconds": 7}


async def test_a_dropped_watch_ends_after_the_allowed_events(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    c = core(kube_api)
    await call(c.create_namespaced_service, "default", service("web"))
    sandbox.faults.drop_watches(after_events=1, times=1)

    status, lines = await stream(c.list_namespaced_service, "default")

    assert status == 200 and len(lines) == 1 and lines[0]["type"] == "ADDED"


async def test_open_watches_can_be_dropped_at_once(sandbox: SandboxCluster, kube_api: ApiClient) -> None:
    c = core(kube_api)
    first_event = asyncio.Event()
    loop = asyncio.get_running_loop()

    def watch_until_closed() -> list[dict[str, Any]]:
        response = c.list_namespaced_service("default", watch=True, _preload_content=False)
        events = []
        for line in response.stream(amt=None):
            for chunk in line.splitlines():
                events.append(json.loads(chunk))
                loop.call_soon_threadsafe(first_event.set)
        return events

    watching = asyncio.create_task(asyncio.to_thread(watch_until_closed))
    await asyncio.wait_for(first_event.wait(), 5)
    sandbox.faults.drop_open_watches()

    events = await asyncio.wait_for(watching, 5)
    assert [e["object"]["metadata"]["name"] for e in events] == ["kubernetes"]


async def test_the_admin_route_manages_faults(sandbox: SandboxCluster) -> None:
    created, fault, _ = await http(
        sandbox, "POST", "/_sandbox/faults", body={"kind": "error", "status": 502, "verb": "list", "times": 1}
    )
    failed, failure, _ = await http(sandbox, "GET", "/api/v1/namespaces")
    listed, active, _ = await http(sandbox, "GET", "/_sandbox/faults")
    bad, refusal, _ = await http(sandbox, "POST", "/_sandbox/faults", body={"kind": "meteor"})

    assert created == 201 and fault["kind"] == "error" and fault["status"] == 502
    assert failed == 502 and failure["code"] == 502 and (listed, active) == (200, {"faults": []})
    assert bad == 400 and "unknown fault kind" in refusal["message"]


async def test_only_admins_may_inject_faults(sandbox: SandboxCluster) -> None:
    token = sandbox.auth.add_user("mallory")

    status, body, _ = await http(sandbox, "POST", "/_sandbox/faults", body={"kind": "error"}, token=token)

    assert (
        status == 403 and body["message"] == 'forbidden: User "mallory" cannot post path "/_sandbox/faults"'
    )
    assert sandbox.faults.active == []


async def test_faults_apply_before_authentication_like_a_broken_network(sandbox: SandboxCluster) -> None:
    sandbox.faults.error(500, times=1)

    error = await api_error(core(client_for(sandbox, "bogus")).list_namespace)

    assert error.status == 500
