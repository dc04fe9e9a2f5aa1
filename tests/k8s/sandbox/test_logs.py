"""Synthetic container logs: deterministic, realistic, and the API server's errors word for word."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from klepaas.k8s.sandbox.logs import pod_log
from klepaas.k8s.sandbox.store import Obj, StoreError

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC).timestamp()


def stamp(seconds_ago: float) -> str:
    return datetime.fromtimestamp(NOW - seconds_ago, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(
    name: str = "web-7d4b9c-x2k8p", *containers: tuple[str, str], statuses: list[Obj] | None = None
) -> Obj:
    containers = containers or (("web", "nginx:1.25"),)
    return {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": n, "image": i} for n, i in containers]},
        "status": {
            "containerStatuses": statuses
            if statuses is not None
            else [
                {"name": n, "restartCount": 0, "state": {"running": {"startedAt": stamp(600)}}}
                for n, _ in containers
            ]
        },
    }


def crashed(name: str, restarts: int, reason: str = "Error", exit_code: int = 1) -> Obj:
    return {
        "name": name,
        "restartCount": restarts,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {
            "terminated": {
                "exitCode": exit_code,
                "reason": reason,
                "startedAt": stamp(40),
                "finishedAt": stamp(20),
            }
        },
    }


def log(p: Obj, **kw: Any) -> str:
    return pod_log(
        p,
        container=kw.pop("container", None),
        tail_lines=kw.pop("tail_lines", None),
        since_seconds=kw.pop("since_seconds", None),
        previous=kw.pop("previous", False),
        timestamps=kw.pop("timestamps", False),
        now=kw.pop("now", NOW),
    )


def error(p: Obj, **kw: Any) -> tuple[int, str, str]:
    with pytest.raises(StoreError) as caught:
        log(p, **kw)
    return caught.value.code, caught.value.reason, caught.value.message


def test_the_same_container_instance_always_logs_the_same_lines() -> None:
    assert log(pod()) == log(pod())
    assert log(pod()) != log(pod("web-7d4b9c-zzzzz"))


def test_an_nginx_container_logs_its_entrypoint_banner_then_access_lines() -> None:
    lines = log(pod()).splitlines()
    assert lines[0].startswith("/docker-entrypoint.sh: ")
    assert any("[notice] 1#1: nginx/1.25" in line for line in lines)
    access = [line for line in lines if '" 200 ' in line or '" 304 ' in line]
    assert access and all(' HTTP/1.1" ' in line for line in access)


def test_an_application_container_logs_structured_request_lines() -> None:
    lines = log(pod("api-1", ("api", "ghcr.io/klepaas/api:1.4.2"))).splitlines()
    assert "starting api version=1.4.2 pid=1" in lines[0]
    assert any("http request method=" in line for line in lines)


def test_tail_lines_returns_the_newest_lines_only() -> None:
    everything = log(pod()).splitlines()
    assert log(pod(), tail_lines=3).splitlines() == everything[-3:]
    assert log(pod(), tail_lines=0) == ""


def test_logs_grow_over_time_without_rewriting_what_was_written() -> None:
    earlier = log(pod(), now=NOW - 120).splitlines()
    later = log(pod()).splitlines()
    assert later[: len(earlier)] == earlier
    assert len(later) > len(earlier)


def test_timestamps_prefix_each_line_with_rfc3339_nanoseconds_and_since_seconds_filters() -> None:
    lines = log(pod(), timestamps=True, since_seconds=60).splitlines()
    assert lines
    for line in lines:
        stamp_text, _, _ = line.partition(" ")
        assert len(stamp_text) == len("2025-03-01T11:59:01.123456789Z")
        moment = datetime.fromisoformat(stamp_text[:26] + "+00:00").timestamp()
        assert NOW - 61 <= moment <= NOW


def test_a_crash_looping_container_ends_with_a_stack_trace_and_previous_shows_the_last_run() -> None:
    p = pod("api-1", ("api", "ghcr.io/klepaas/api:crash"), statuses=[crashed("api", 3)])
    current = log(p).splitlines()
    assert current[-1] == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert "Traceback (most recent call last):" in current
    assert log(p, previous=True) == log(p)


def test_an_oom_killed_container_ends_with_a_memory_warning() -> None:
    p = pod("api-1", ("api", "ghcr.io/klepaas/api:oom"), statuses=[crashed("api", 1, "OOMKilled", 137)])
    assert "memory usage high" in log(p, previous=True).splitlines()[-2]


def test_previous_without_a_terminated_instance_is_a_bad_request() -> None:
    assert error(pod(), previous=True) == (
        400,
        "BadRequest",
        'previous terminated container "web" in pod "web-7d4b9c-x2k8p" not found',
    )


def test_an_unknown_container_is_a_bad_request() -> None:
    assert error(pod(), container="sidecar") == (
        400,
        "BadRequest",
        "container sidecar is not valid for pod web-7d4b9c-x2k8p",
    )


def test_a_pod_with_several_containers_needs_a_container_name() -> None:
    p = pod("multi-1", ("app", "ghcr.io/x/app:1"), ("proxy", "envoyproxy/envoy:v1.31"))
    assert error(p) == (
        400,
        "BadRequest",
        "a container name must be specified for pod multi-1, choose one of: [app proxy]",
    )
    assert "[notice]" not in log(p, container="app")
    assert log(p, container="proxy")


def test_a_container_still_waiting_to_start_has_no_logs_yet() -> None:
    waiting = [{"name": "web", "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]
    assert error(pod(statuses=waiting)) == (
        400,
        "BadRequest",
        'container "web" in pod "web-7d4b9c-x2k8p" is waiting to start: ContainerCreating',
    )
    pulling = [{"name": "web", "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]
    assert error(pod(statuses=pulling))[2].endswith("is waiting to start: trying and failing to pull image")


def test_a_container_that_crashed_within_the_same_second_it_started_still_has_logs() -> None:
    quick = crashed("api", 2)
    quick["lastState"]["terminated"]["startedAt"] = quick["lastState"]["terminated"]["finishedAt"]
    p = pod("api-1", ("api", "ghcr.io/klepaas/api:crash"), statuses=[quick])
    lines = log(p, previous=True).splitlines()
    assert "starting api version=crash pid=1" in lines[0]
    assert lines[-1] == "ConnectionRefusedError: [Errno 111] Connection refused"
