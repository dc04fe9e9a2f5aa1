"""`run_sandbox`, behind `klepaas sandbox`: kubeconfig written once the server answers, stops on cancel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import kubernetes

from klepaas.k8s.sandbox.cluster import run_sandbox
from tests.k8s.sandbox.api_helpers import call, core
from tests.k8s.sandbox.helpers import wait_for


async def test_run_sandbox_writes_a_working_kubeconfig_and_stops_when_cancelled(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "sandbox" / "kubeconfig"
    running = asyncio.create_task(run_sandbox(0, kubeconfig, samples=True))
    await wait_for(kubeconfig.exists, timeout=10, what="the kubeconfig")

    api = kubernetes.config.new_client_from_config(config_file=str(kubeconfig), context="klepaas-sandbox")
    try:
        namespaces = await call(core(api).list_namespace)
    finally:
        api.close()
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)

    assert {"default", "kube-system"} <= {n.metadata.name for n in namespaces.items}
    assert api.configuration.host.startswith("https://127.0.0.1:")
    assert running.cancelled()
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
