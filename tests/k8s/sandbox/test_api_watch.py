"""Watch streams through the kubernetes client's Watch helper and as raw chunked JSON lines."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from kubernetes import watch
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from klepaas.k8s.sandbox.cluster import SandboxCluster
from tests.k8s.sandbox.api_helpers import call, core, http, service, stream


def collect(api: ApiClient, count: int, **kwargs: Any) -> list[tuple[str, str]]:
    """(type, name) of the first `count` service events (bounded by timeout_seconds)."""
    events: list[tuple[str, str]] = []
    w = watch.Watch()
    for event in w.stream(core(api).list_namespaced_service, "default", timeout_seconds=10, **kwargs):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) >= count:
            w.stop()
    return events


async def test_a_watch_without_resource_version_starts_with_the_current_state(kube_api: ApiClient) -> None:
    await call(core(kube_api).create_namespaced_service, "default", service("web"))

    events = await call(collect, kube_api, 2)

    assert sorted(events) == [("ADDED", "kubernetes"), ("ADDED", "web")]


async def test_a_watch_from_a_resource_version_sees_every_later_change_in_order(kube_api: ApiClient) -> None:
    c = core(kube_api)
    start = (await call(c.list_namespaced_service, "default")).metadata.resource_version
    await call(c.create_namespaced_service, "default", service("web"))
    await call(c.patch_namespaced_service, "web", "default", {"metadata": {"labels": {"v": "2"}}})
    await call(c.delete_namespaced_service, "web", "default")

    events = await call(collect, kube_api, 3, resource_version=start)

    assert events == [("ADDED", "web"), ("MODIFIED", "web"), ("DELETED", "web")]


async def test_a_watch_receives_changes_made_while_it_is_open(kube_api: ApiClient) -> None:
    c = core(kube_api)
    start = (await call(c.list_namespaced_service, "default")).metadata.resource_version
    watching = asyncio.create_task(call(collect, kube_api, 2, resource_version=start))
    await call(c.create_namespaced_service, "default", service("a"))
    await call(c.create_namespaced_service, "default", service("b"))

    assert await asyncio.wait_for(watching, 10) == [("ADDED", "a"), ("ADDED", "b")]


async def test_label_selected_watches_see_objects_leave_and_enter_the_selection(kube_api: ApiClient) -> None:
    c = core(kube_api)
    start = (await call(c.list_namespaced_service, "default")).metadata.resource_version
    await call(
        c.create_namespaced_service,
        "default",
        {**service("web"), "metadata": {"name": "web", "labels": {"tier": "front"}}},
    )
    await call(c.patch_namespaced_service, "web", "default", {"metadata": {"labels": {"tier": "back"}}})
    await call(c.patch_namespaced_service, "web", "default", {"metadata": {"labels": {"tier": "front"}}})

    events = await call(collect, kube_api, 3, resource_version=start, label_selector="tier=front")

    assert events == [("ADDED", "web"), ("DELETED", "web"), ("ADDED", "web")]


@pytest.mark.sandbox(history_size=5)
async def test_watching_from_a_compacted_resource_version_is_gone(kube_api: ApiClient) -> None:
    c = core(kube_api)
    for i in range(8):
        await call(c.create_namespaced_service, "default", service(f"s{i}"))

    with pytest.raises(ApiException) as caught:
        await call(collect, kube_api, 1, resource_version="1")

    assert caught.value.status == 410 and "Expired: too old resource version: 1" in str(caught.value.reason)


@pytest.mark.sandbox(history_size=5)
async def test_the_gone_watch_is_an_error_event_in_a_200_stream(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    c = core(kube_api)
    for i in range(8):
        await call(c.create_namespaced_service, "default", service(f"s{i}"))

    status, lines = await stream(c.list_namespaced_service, "default", resource_version="1")

    assert status == 200
    assert lines == [
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": "too old resource version: 1",
                "reason": "Expired",
                "code": 410,
            },
        }
    ]


async def test_timeout_seconds_ends_a_quiet_watch(kube_api: ApiClient) -> None:
    c = core(kube_api)
    rv = (await call(c.list_namespaced_service, "default")).metadata.resource_version
    started = time.monotonic()

    status, lines = await stream(c.list_namespaced_service, "default", resource_version=rv, timeout_seconds=1)

    elapsed = time.monotonic() - started
    assert status == 200 and lines == [] and 0.9 <= elapsed < 5


@pytest.mark.sandbox(bookmark_interval=0.05)
async def test_bookmarks_carry_the_current_resource_version(kube_api: ApiClient) -> None:
    c = core(kube_api)
    rv = (await call(c.list_namespaced_service, "default")).metadata.resource_version

    _, lines = await stream(
        c.list_namespaced_service,
        "default",
        resource_version=rv,
        allow_watch_bookmarks=True,
        timeout_seconds=1,
    )

    assert lines and {line["type"] for line in lines} == {"BOOKMARK"}
    assert lines[0]["object"] == {"kind": "Service", "apiVersion": "v1", "metadata": {"resourceVersion": rv}}


async def test_send_initial_events_ends_with_the_initial_events_end_bookmark(kube_api: ApiClient) -> None:
    _, lines = await stream(
        core(kube_api).list_namespaced_service,
        "default",
        send_initial_events=True,
        allow_watch_bookmarks=True,
        timeout_seconds=1,
        resource_version_match="NotOlderThan",
    )

    assert [line["type"] for line in lines[:2]] == ["ADDED", "BOOKMARK"]
    assert lines[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


async def test_the_legacy_watch_path_streams_one_named_object(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    c = core(kube_api)
    rv = (await call(c.list_namespaced_service, "default")).metadata.resource_version
    await call(c.create_namespaced_service, "default", service("other"))
    await call(c.create_namespaced_service, "default", service("mine"))

    status, body, _ = await http(
        sandbox,
        "GET",
        f"/api/v1/watch/namespaces/default/services/mine?resourceVersion={rv}&timeoutSeconds=1",
        text=True,
    )

    assert status == 200
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in map(json.loads, body.splitlines())] == [
        ("ADDED", "mine")
    ]
