"""The pods/log subresource through the client's read_namespaced_pod_log."""

from __future__ import annotations

from kubernetes.client import ApiClient

from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from tests.k8s.sandbox.api_helpers import api_error, call, core, http, pod, status_of
from tests.k8s.sandbox.helpers import wait_for


async def running_pod(sandbox: SandboxCluster, kube_api: ApiClient, body: dict) -> None:
    await call(core(kube_api).create_namespaced_pod, "default", body)
    name = body["metadata"]["name"]
    await wait_for(
        lambda: (
            (sandbox.store.peek(BY_KIND["Pod"], "default", name).get("status") or {}).get("phase")
            == "Running"
        ),
        what=f"pod {name} running",
    )


async def test_logs_are_plain_text_and_honour_tail_lines(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    await running_pod(sandbox, kube_api, pod("web", image="nginx:1.25"))
    c = core(kube_api)

    everything = await call(c.read_namespaced_pod_log, "web", "default")
    tail = await call(c.read_namespaced_pod_log, "web", "default", tail_lines=2, timestamps=True)

    assert isinstance(everything, str) and everything.strip()
    assert len(tail.splitlines()) == 2 and all(
        line[:4].isdigit() and "Z " in line for line in tail.splitlines()
    )


async def test_the_log_content_type_is_text_plain(sandbox: SandboxCluster, kube_api: ApiClient) -> None:
    await running_pod(sandbox, kube_api, pod("web", image="nginx:1.25"))

    status, body, headers = await http(sandbox, "GET", "/api/v1/namespaces/default/pods/web/log?tailLines=1")

    assert status == 200 and headers["Content-Type"].startswith("text/plain") and body.count("\n") <= 1


async def test_a_multi_container_pod_needs_a_container_name(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    body = pod("duo")
    body["spec"]["containers"] = [
        {"name": "app", "image": "busybox:1.36"},
        {"name": "proxy", "image": "envoy:1.30"},
    ]
    await running_pod(sandbox, kube_api, body)
    c = core(kube_api)

    error = await api_error(c.read_namespaced_pod_log, "duo", "default")
    proxy = await call(c.read_namespaced_pod_log, "duo", "default", container="proxy", tail_lines=1)

    assert error.status == 400
    assert status_of(error)["message"] == (
        "a container name must be specified for pod duo, choose one of: [app proxy]"
    )
    assert isinstance(proxy, str)


async def test_logs_of_a_missing_pod_are_not_found(kube_api: ApiClient) -> None:
    error = await api_error(core(kube_api).read_namespaced_pod_log, "ghost", "default")

    assert error.status == 404 and status_of(error)["message"] == 'pods "ghost" not found'
