"""Fixtures for tests that need a Kubernetes API: a sandbox cluster on a port from the OS.

- `sandbox`: a started `SandboxCluster` (fast controllers, no sample apps, plain HTTP). Configure it
  with `@pytest.mark.sandbox(samples=True, tls=True, history_size=50, bookmark_interval=0.1,
  pod_start_delay=0.5)`: `samples`, `tls`, `history_size`, `bookmark_interval` go to the cluster,
  the rest to ControllerOptions. kubectl sends its token only over TLS: use `tls=True` for kubectl.
- `kubeconfig_path`: a kubeconfig for the sandbox's admin user in tmp_path.
- `kube_api`: a `kubernetes.client.ApiClient` loaded from that kubeconfig.

The kubernetes client is synchronous and the sandbox runs on the test's event loop: call the
client from async tests through `asyncio.to_thread` so the loop keeps serving while it waits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import kubernetes
import pytest

from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.controllers import ControllerOptions
from klepaas.k8s.sandbox.failures import FailureRules
from klepaas.k8s.sandbox.handlers import ServerOptions

FAST = ControllerOptions(
    pod_start_delay=0.02,
    pod_ready_delay=0.02,
    crash_after=0.05,
    crash_restart_base=0.05,
    crash_restart_max=0.2,
    image_pull_backoff_base=0.05,
    image_pull_backoff_max=0.2,
    schedule_retry=0.1,
    load_balancer_delay=0.02,
    seed=7,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sandbox(samples=False, tls=False, history_size=..., bookmark_interval=..., "
        "**controller_options): "
        "configure the sandbox fixture",
    )


@pytest.fixture
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[SandboxCluster]:
    marker = request.node.get_closest_marker("sandbox")
    options = dict(marker.kwargs) if marker else {}
    samples = options.pop("samples", False)
    history_size = options.pop("history_size", 10_000)
    tls = options.pop("tls", False)
    server = ServerOptions(bookmark_interval=options.pop("bookmark_interval", 30.0))
    # A fresh rule set per test: a rule one test adds must not leak into the next.
    options.setdefault("failure_rules", FailureRules())
    cluster = SandboxCluster(
        with_samples=samples,
        controller_options=dataclasses.replace(FAST, **options),
        server_options=server,
        history_size=history_size,
        tls=tls,
    )
    await cluster.start()
    try:
        yield cluster
    finally:
        await cluster.stop()


@pytest.fixture
def kubeconfig_path(sandbox: SandboxCluster, tmp_path: Path) -> Path:
    return sandbox.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def kube_api(kubeconfig_path: Path) -> Iterator[kubernetes.client.ApiClient]:
    api = kubernetes.config.new_client_from_config(
        config_file=str(kubeconfig_path), context="klepaas-sandbox"
    )
    try:
        yield api
    finally:
        api.close()
