"""The gateway over HTTPS, as against a real cluster: requests (sent by aiohttp on the loop) and
watch streams (through the client) verify the API server's certificate against the kubeconfig's
CA, as kubectl does; a certificate from another CA is refused with a message a person acts on."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from klepaas.errors import Unavailable
from klepaas.k8s.sandbox.tls import make_serving_certificate
from tests.k8s.gateway_helpers import clusters_for

pytestmark = pytest.mark.sandbox(samples=True, tls=True)


def _rewrite_cluster(path: Path, change: dict[str, Any], drop: tuple[str, ...] = ()) -> Path:
    config = yaml.safe_load(path.read_text())
    cluster = config["clusters"][0]["cluster"]
    for key in drop:
        cluster.pop(key, None)
    cluster.update(change)
    path.write_text(yaml.safe_dump(config))
    return path


async def test_requests_and_watches_go_over_tls_checked_against_the_kubeconfig_ca(
    kubeconfig_path: Path,
) -> None:
    clusters = clusters_for(kubeconfig_path)
    try:
        gateway = clusters.get()
        assert gateway.server.startswith("https://")

        deployment, pods = await gateway.get_deployment_pods("default", "nginx")
        stream = gateway.watch_deployments("default", name="nginx", timeout_seconds=2)
        first = await asyncio.wait_for(anext(stream), 10)
        await stream.aclose()

        assert deployment.name == "nginx" and pods.items
        assert first.object is not None and first.object.name == "nginx"
    finally:
        await clusters.aclose()


async def test_a_server_certificate_from_another_ca_is_refused(kubeconfig_path: Path) -> None:
    stranger = make_serving_certificate()
    _rewrite_cluster(
        kubeconfig_path, {"certificate-authority-data": base64.b64encode(stranger.ca_pem).decode()}
    )
    clusters = clusters_for(kubeconfig_path)
    try:
        with pytest.raises(Unavailable, match="secure connection") as caught:
            await clusters.get().get_deployment("default", "nginx")
        assert caught.value.hint is not None and "certificate" in caught.value.hint
    finally:
        await clusters.aclose()


async def test_insecure_skip_tls_verify_in_the_kubeconfig_is_honoured(kubeconfig_path: Path) -> None:
    _rewrite_cluster(
        kubeconfig_path, {"insecure-skip-tls-verify": True}, drop=("certificate-authority-data",)
    )
    clusters = clusters_for(kubeconfig_path)
    try:
        deployment = await clusters.get().get_deployment("default", "nginx")
        assert deployment.name == "nginx"
    finally:
        await clusters.aclose()
